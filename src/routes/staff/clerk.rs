//! Police clerk pages: the reports of the clerk's state, envelope download and receipt
//! confirmation. Nothing is ever decrypted here.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{nav, require, require_post, CasePath, StaffError, StaffNav};
use crate::app_state::AppState;
use crate::clock::{local_day_start as parse_day, local_display};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::http::staff_door::paging_links;
use crate::reports::case_number::CaseNumber;
use crate::staff::receipts::{self, ReceiptError};
use crate::staff::{download_envelope, Principal, Role};
use crate::store::reports::{self, ReportRow};
use crate::store::staff::{self as store_staff, ReportFilter};

pub const PAGE_SIZE: i64 = 50;

#[tracing::instrument(skip_all)]
pub async fn home(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, StaffError> {
    require(&app, &req, &[Role::Clerk, Role::Operator]).await?;
    Ok(see_other("/polizei/berichte"))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    category: Option<String>,
    office: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<PageNumber>,
}

/// Pages a listing can be asked for. Bounded, so the offset it gives always fits the
/// database's integer; anything else is a 400 before a query runs.
const MAX_PAGE: u32 = 100_000;

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct PageNumber(u32);

impl TryFrom<String> for PageNumber {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        raw.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .map(PageNumber)
            .ok_or_else(|| format!("page must be a number from 1 to {MAX_PAGE}"))
    }
}

pub struct Row {
    pub case_number: String,
    pub state: String,
    pub category: String,
    pub form: String,
    pub received: String,
    pub status: String,
    pub office: String,
}

#[derive(Template)]
#[template(path = "staff/reports.html")]
struct ListPage {
    page: PageContext,
    nav: StaffNav,
    rows: Vec<Row>,
    errors: Vec<String>,
    status: String,
    category: String,
    office: String,
    from: String,
    to: String,
    categories: Vec<String>,
    offices: Vec<(String, String)>,
    page_number: i64,
    prev_url: String,
    next_url: String,
}

fn office_name(app: &AppState, state: &str, office: Option<&str>) -> String {
    let Some(id) = office else {
        return "–".into();
    };
    crate::state_code::StateCode::parse(state)
        .ok()
        .and_then(|code| app.forms.catalog().state(&code).cloned())
        .and_then(|info| {
            std::iter::once(&info.central_office)
                .chain(info.offices.iter())
                .find(|o| o.id == id)
                .map(|o| o.name.clone())
        })
        .unwrap_or_else(|| id.to_owned())
}

fn row(app: &AppState, r: &ReportRow, german: bool) -> Row {
    Row {
        case_number: r.case_number.to_string(),
        state: r.state.upper(),
        category: r.category.clone(),
        form: format!("{} v{}", r.form_id, r.form_version),
        received: local_display(r.submitted_at, Utc::now(), german),
        status: r.status.clone(),
        office: office_name(app, r.state.as_str(), r.office_id.as_deref()),
    }
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[tracing::instrument(skip_all)]
pub async fn list(
    req: HttpRequest,
    app: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Clerk, Role::Operator]).await?;
    let lang = app.page(&req).lang;
    let german = lang == crate::i18n::Lang::De;
    let mut errors = Vec::new();
    let status = clean(&query.status).filter(|s| s == "pending" || s == "delivered");
    let from = clean(&query.from);
    let to = clean(&query.to);
    let from_at = from.as_deref().and_then(|s| {
        let at = parse_day(s);
        if at.is_none() {
            errors.push(
                lang.t(
                    "„Von“ ist kein Datum (JJJJ-MM-TT).",
                    "“From” is not a date (YYYY-MM-DD).",
                )
                .to_owned(),
            );
        }
        at
    });
    let until_at = to.as_deref().and_then(|s| {
        let at = parse_day(s).map(|d| d + chrono::Duration::days(1));
        if at.is_none() {
            errors.push(
                lang.t(
                    "„Bis“ ist kein Datum (JJJJ-MM-TT).",
                    "“To” is not a date (YYYY-MM-DD).",
                )
                .to_owned(),
            );
        }
        at
    });
    let page_number = i64::from(query.page.map_or(1, |p| p.0));
    let filter = ReportFilter {
        state: principal.state_filter(),
        status: status.clone(),
        category: clean(&query.category),
        office: clean(&query.office),
        from: from_at,
        until: until_at,
        after_id: None,
    };
    let found = store_staff::list_reports(
        &app.db,
        &filter,
        PAGE_SIZE + 1,
        (page_number - 1) * PAGE_SIZE,
    )
    .await?;
    let has_next = found.len() as i64 > PAGE_SIZE;
    let rows: Vec<Row> = found
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|r| row(&app, r, german))
        .collect();

    let (categories, offices) = choices(&app, &principal);
    let mut params: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("status", status.clone()),
        ("category", clean(&query.category)),
        ("office", clean(&query.office)),
        ("from", from.clone()),
        ("to", to.clone()),
    ] {
        if let Some(v) = v {
            params.push((k, v));
        }
    }
    let (prev_url, next_url) = paging_links("/polizei/berichte", &params, page_number, has_next);
    let (nav, cookies) = nav(&app, &req, &principal);
    let body = ListPage {
        page: app.page(&req),
        nav,
        rows,
        errors,
        status: status.unwrap_or_default(),
        category: clean(&query.category).unwrap_or_default(),
        office: clean(&query.office).unwrap_or_default(),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        categories,
        offices,
        page_number,
        prev_url,
        next_url,
    }
    .render()?;
    Ok(html(body, cookies))
}

/// Categories and offices of the principal's state (every state's for the operator).
fn choices(app: &AppState, principal: &Principal) -> (Vec<String>, Vec<(String, String)>) {
    let mut categories = Vec::new();
    let mut offices = Vec::new();
    for info in app.forms.catalog().states() {
        if !principal.sees(&info.code) {
            continue;
        }
        for c in &info.categories {
            if !categories.contains(c) {
                categories.push(c.clone());
            }
        }
        for o in std::iter::once(&info.central_office).chain(info.offices.iter()) {
            offices.push((o.id.clone(), o.name.clone()));
        }
    }
    categories.sort();
    (categories, offices)
}

/// The report behind a case number in the path, if this principal may see it; any other
/// state's report is "not found", so its existence is never revealed.
async fn visible_report(
    app: &AppState,
    principal: &Principal,
    raw: &str,
) -> Result<ReportRow, StaffError> {
    let case = CaseNumber::parse(raw).map_err(|_| PageError::NotFound)?;
    let report = reports::get_by_case_number(&app.db, &case)
        .await?
        .filter(|r| principal.sees(&r.state))
        .ok_or(PageError::NotFound)?;
    Ok(report)
}

#[derive(Template)]
#[template(path = "staff/report.html")]
struct ReportPage {
    page: PageContext,
    nav: StaffNav,
    row: Row,
    envelope_sha256: String,
    key_id: String,
    delivered_at: String,
    error: String,
    receipt: String,
    can_act: bool,
    /// (time, status, office) sent back by the police inbox, oldest first.
    status_history: Vec<(String, String, String)>,
}

async fn render_report(
    app: &AppState,
    req: &HttpRequest,
    principal: &Principal,
    report: &ReportRow,
    error: String,
    receipt: String,
) -> Result<HttpResponse, StaffError> {
    let german = app.page(req).lang == crate::i18n::Lang::De;
    let (nav, cookies) = nav(app, req, principal);
    let status_history = crate::store::status_events::for_case(&app.db, &report.case_number)
        .await?
        .into_iter()
        .map(|e| {
            let label = e
                .status
                .parse::<crate::inbox::triage::CoarseStatus>()
                .map(|s| s.label(german).to_owned())
                .unwrap_or(e.status);
            (
                local_display(e.at, Utc::now(), german),
                label,
                e.office_id.unwrap_or_default(),
            )
        })
        .collect();
    let body = ReportPage {
        page: app.page(req),
        nav,
        row: row(app, report, german),
        envelope_sha256: report.envelope_sha256.clone(),
        key_id: report.key_id.clone(),
        delivered_at: report
            .delivered_at
            .map(|t| local_display(t, Utc::now(), german))
            .unwrap_or_default(),
        error,
        receipt,
        can_act: principal.role == Role::Clerk,
        status_history,
    }
    .render()?;
    Ok(html(body, cookies))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<CasePath>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Clerk, Role::Operator]).await?;
    let report = visible_report(&app, &principal, &path.case_number).await?;
    render_report(
        &app,
        &req,
        &principal,
        &report,
        String::new(),
        String::new(),
    )
    .await
}

/// The envelope JSON exactly as stored, as a file.
#[tracing::instrument(skip_all)]
pub async fn envelope(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<CasePath>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&app, &req, &[Role::Clerk]).await?;
    let report = visible_report(&app, &principal, &path.case_number).await?;
    let envelope = download_envelope(&app.db, &app.audit_key, &principal, &report)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}.envelope.json\"",
                report.case_number
            ),
        ))
        .body(envelope))
}

#[derive(Deserialize)]
pub struct ReceiptForm {
    csrf_token: Option<String>,
    #[serde(default)]
    receipt: String,
}

/// The clerk pastes the receipt their decrypting tool computed (`clerk decrypt` side).
#[tracing::instrument(skip_all)]
pub async fn confirm_receipt(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<CasePath>,
    form: web::Form<ReceiptForm>,
) -> Result<HttpResponse, StaffError> {
    let principal = require_post(&app, &req, &[Role::Clerk], form.csrf_token.as_deref()).await?;
    let report = visible_report(&app, &principal, &path.case_number).await?;
    let lang = app.page(&req).lang;
    match receipts::accept(
        &app.db,
        &app.settings,
        &report,
        &form.receipt,
        &app.audit_key,
        &principal.actor,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/polizei/berichte/{}",
            report.case_number
        ))),
        Err(ReceiptError::Invalid) => {
            let message = lang.t(
                "Die Empfangsbestätigung passt nicht zu diesem Umschlag.",
                "The receipt does not match this envelope.",
            );
            render_report(
                &app,
                &req,
                &principal,
                &report,
                message.to_owned(),
                form.receipt.clone(),
            )
            .await
        }
        Err(ReceiptError::Store(e)) => Err(e.into()),
        Err(e @ (ReceiptError::Secret(_) | ReceiptError::Check(_))) => {
            Err(PageError::internal(e).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any query string gives a list query or a clean refusal, and a page always has an
        /// offset that fits.
        #[test]
        fn list_queries_parse_or_refuse(query in "(page|status|from|to|x)=[-0-9a-z%&=]{0,24}") {
            if let Ok(q) = web::Query::<ListQuery>::from_query(&query) {
                if let Some(page) = q.page {
                    prop_assert!((1..=MAX_PAGE).contains(&page.0));
                    prop_assert!(i64::from(page.0).checked_mul(PAGE_SIZE).is_some());
                }
            }
        }
    }
}
