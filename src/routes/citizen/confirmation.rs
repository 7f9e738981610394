//! The case number, what happens next, and a printable copy: only in the browser session
//! that filed the report, because a case number is never a credential.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::review::{sections, ReviewSection};
use super::step::open_draft;
use super::FormPath;
use crate::app_state::AppState;
use crate::clock::local_display;
use crate::forms::FieldRole;
use crate::forms::{Office, Retention, StateInfo};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::i18n::Lang;
use crate::reports::case_number::CaseNumber;
use crate::store::reports as stored_reports;

#[derive(Template)]
#[template(path = "citizen/confirmation.html")]
struct ConfirmationPage {
    page: PageContext,
    form_title: String,
    case_number: String,
    status_code: String,
    office_name: String,
    office_address: String,
    office_phone: String,
    desk_name: String,
    desk_phone: String,
    desk_email: String,
    email_given: bool,
    print_href: String,
    state_href: String,
    available_until: String,
    /// How long the sealed report and its index stay on this server after the receipt.
    envelope_days: u32,
    index_days: u32,
}

#[derive(Template)]
#[template(path = "citizen/print.html")]
struct PrintPage {
    page: PageContext,
    form_title: String,
    form_version: u32,
    case_number: String,
    status_code: String,
    state_name: String,
    office_name: String,
    sections: Vec<ReviewSection>,
}

/// A draft this session has already filed, with its case number and what both pages
/// of a filed report show around it.
struct Filed<'a> {
    draft: Box<crate::drafts::Draft>,
    variant: std::sync::Arc<crate::forms::FormVariant>,
    case_number: CaseNumber,
    base: String,
    info: &'a StateInfo,
    office: &'a Office,
    retention: Retention,
    page: PageContext,
}

/// The submitted draft of this browser session, or where to send it instead.
async fn submitted<'a>(
    app: &'a AppState,
    req: &HttpRequest,
    path: &FormPath,
) -> Result<Result<Filed<'a>, HttpResponse>, PageError> {
    let (draft, variant) = match open_draft(app, req, path).await? {
        Ok(found) => found,
        Err(response) => return Ok(Err(response)),
    };
    let base = path.base();
    let Some(case_number) = draft.case_number.clone() else {
        return Ok(Err(see_other(&format!("{base}/pruefen"))));
    };
    let (_, info) = path.state(app)?;
    let office = filed_office(app, info, &case_number).await?;
    let retention =
        crate::retention::retention_for(&app.settings, app.directory.as_ref(), info.code.as_str())
            .unwrap_or(info.retention);
    Ok(Ok(Filed {
        draft,
        variant,
        case_number,
        base,
        info,
        office,
        retention,
        page: app.page(req),
    }))
}

/// The office the stored report was routed to, as the e-mail names it: read from the
/// report, not computed again, so a later catalog change cannot make the two disagree.
/// An office the catalog no longer lists falls back to the central office.
async fn filed_office<'a>(
    app: &AppState,
    info: &'a StateInfo,
    case_number: &CaseNumber,
) -> Result<&'a Office, PageError> {
    let report = stored_reports::get_by_case_number(&app.db, case_number)
        .await?
        .ok_or(PageError::NotFound)?;
    let office = report.office_id.as_deref().and_then(|id| {
        std::iter::once(&info.central_office)
            .chain(&info.offices)
            .find(|o| o.id == id)
    });
    Ok(office.unwrap_or(&info.central_office))
}

#[tracing::instrument(skip_all)]
pub async fn show(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, PageError> {
    filed_page(&app, &req, &path, confirmation_body).await
}

#[tracing::instrument(skip_all)]
pub async fn print(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, PageError> {
    filed_page(&app, &req, &path, print_body).await
}

/// A page of the filed report, or where to send the browser instead.
async fn filed_page(
    app: &AppState,
    req: &HttpRequest,
    path: &FormPath,
    body: fn(Filed) -> Result<String, PageError>,
) -> Result<HttpResponse, PageError> {
    Ok(match submitted(app, req, path).await? {
        Ok(filed) => html(body(filed)?, Vec::new()),
        Err(response) => response,
    })
}

fn confirmation_body(f: Filed) -> Result<String, PageError> {
    let lang = f.page.lang;
    let desk = &f.info.central_office;
    Ok(ConfirmationPage {
        form_title: f.variant.title.get(lang).to_owned(),
        case_number: f.case_number.to_string(),
        status_code: f.draft.payload.status_code.clone().unwrap_or_default(),
        envelope_days: f.retention.envelope_days,
        index_days: f.retention.index_days,
        office_name: f.office.name.clone(),
        office_address: f.office.address.clone(),
        office_phone: f.office.phone.clone(),
        desk_name: desk.name.clone(),
        desk_phone: desk.phone.clone(),
        desk_email: desk.email.clone().unwrap_or_default(),
        email_given: f
            .variant
            .role_value(&f.draft.payload.answers, FieldRole::ReporterEmail)
            .is_some(),
        print_href: format!("{}/ausdruck", f.base),
        state_href: format!("/{}", f.info.code),
        available_until: local_display(f.draft.expires, Utc::now(), lang == Lang::De),
        page: f.page,
    }
    .render()?)
}

fn print_body(f: Filed) -> Result<String, PageError> {
    let lang = f.page.lang;
    Ok(PrintPage {
        form_title: f.variant.title.get(lang).to_owned(),
        form_version: f.variant.version,
        case_number: f.case_number.to_string(),
        status_code: f.draft.payload.status_code.clone().unwrap_or_default(),
        state_name: f.info.name.get(lang).to_owned(),
        office_name: f.office.name.clone(),
        sections: sections(&f.variant, &f.draft.payload.answers, lang, &f.base),
        page: f.page,
    }
    .render()?)
}
