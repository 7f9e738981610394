//! The Posteingang: a state's reports, newest first, with filters, search by case number
//! and bounded paging. The index columns only: nothing is opened to draw this page.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{nav, page, require, ClerkNav, INBOX_PATH};
use crate::clock::{local_day_start, local_display};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::html;
use crate::http::staff_door::paging_links;
use crate::http::staff_session::StaffError;
use crate::i18n::Lang;
use crate::inbox::context::Inbox;
use crate::inbox::triage::Status;
use crate::reports::case_number::CaseNumber;
use crate::staff::Principal;
use crate::store::inbox::{self as store, InboxFilter, InboxReportRow};

pub const PAGE_SIZE: i64 = 50;
/// Paging stops here; narrower filters find older reports.
pub const MAX_PAGE: i64 = 1000;

/// The query as typed; every value is checked before it reaches the store.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    office: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

pub struct Row {
    pub case_number: String,
    pub category: String,
    pub scene: String,
    pub offence_time: String,
    pub damage: String,
    pub received: String,
    pub status: String,
    pub office: String,
    pub assignee: String,
    pub unreadable: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox/list.html")]
struct ListPage {
    page: PageContext,
    nav: ClerkNav,
    rows: Vec<Row>,
    errors: Vec<String>,
    query: ListQuery,
    statuses: Vec<(&'static str, &'static str)>,
    /// The categories among the state's reports: id and title.
    categories: Vec<(String, String)>,
    new_count: i64,
    page_number: i64,
    prev_url: String,
    next_url: String,
}

fn clean(v: &str) -> Option<String> {
    Some(v.trim()).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Euro amount for the list (`1.234,50 €` in German, `€1,234.50` in English).
pub fn euros(cents: i64, german: bool) -> String {
    let (whole, rest) = (cents / 100, (cents % 100).abs());
    let digits = whole.abs().to_string();
    let sep = if german { '.' } else { ',' };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    if german {
        format!("{sign}{grouped},{rest:02} €")
    } else {
        format!("{sign}€{grouped}.{rest:02}")
    }
}

fn row(r: &InboxReportRow, german: bool) -> Row {
    let t = &r.triage;
    let dash = || "–".to_owned();
    let scene = [t.scene_postal_code.as_deref(), t.scene_place.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Row {
        case_number: r.case_number.clone(),
        category: category_title(
            t.category.as_deref(),
            t.category_title_de.as_deref(),
            t.category_title_en.as_deref(),
            german,
        )
        .unwrap_or_else(dash),
        scene: Some(scene).filter(|s| !s.is_empty()).unwrap_or_else(dash),
        offence_time: t.offence_time.clone().unwrap_or_else(dash),
        damage: t
            .damage_eur_cents
            .map(|c| euros(c, german))
            .unwrap_or_else(dash),
        received: local_display(r.received_at, Utc::now(), german),
        status: r
            .status
            .parse::<Status>()
            .map(|s| s.label(german).to_owned())
            .unwrap_or_else(|_| r.status.clone()),
        office: r
            .status_office_id
            .clone()
            .or_else(|| t.office_id.clone())
            .unwrap_or_else(dash),
        assignee: r.assigned_to.clone().unwrap_or_else(dash),
        unreadable: r.unreadable_reason.clone(),
    }
}

/// The category's title in the page's language, else the other one, else its id.
fn category_title(
    id: Option<&str>,
    de: Option<&str>,
    en: Option<&str>,
    german: bool,
) -> Option<String> {
    let (first, second) = if german { (de, en) } else { (en, de) };
    first.or(second).or(id).map(str::to_owned)
}

/// The page number of `raw`: 1 when empty, 400 for anything but 1..=MAX_PAGE.
fn page_number(raw: &str) -> Result<i64, PageError> {
    if raw.trim().is_empty() {
        return Ok(1);
    }
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=MAX_PAGE).contains(n))
        .ok_or(PageError::BadRequest(
            "page must be a number from 1 to 1000",
        ))
}

/// The filter of a query, and what is wrong with it (shown in the error summary).
fn filter_of(query: &ListQuery, principal: &Principal, lang: Lang) -> (InboxFilter, Vec<String>) {
    let mut errors = Vec::new();
    let mut day = |raw: &str, de: &'static str, en: &'static str| {
        let at = clean(raw).map(|s| local_day_start(&s));
        if let Some(None) = at {
            errors.push(lang.t(de, en).to_owned());
        }
        at.flatten()
    };
    let from = day(
        &query.from,
        "„Eingang von“ ist kein Datum (JJJJ-MM-TT).",
        "“Received from” is not a date (YYYY-MM-DD).",
    );
    let until = day(
        &query.to,
        "„Eingang bis“ ist kein Datum (JJJJ-MM-TT).",
        "“Received to” is not a date (YYYY-MM-DD).",
    )
    .map(|d| d + chrono::Duration::days(1));
    let status = clean(&query.status);
    if status
        .as_deref()
        .is_some_and(|s| s.parse::<Status>().is_err())
    {
        errors.push(
            lang.t("Diesen Status gibt es nicht.", "There is no such status.")
                .to_owned(),
        );
    }
    let case_number = clean(&query.q);
    let parsed = case_number.as_deref().map(str::parse::<CaseNumber>);
    if let Some(Err(_)) = parsed {
        errors.push(
            lang.t(
                "Das ist keine Vorgangsnummer (z. B. BE-2026-…).",
                "That is not a case number (e.g. BE-2026-…).",
            )
            .to_owned(),
        );
    }
    let filter = InboxFilter {
        state: principal
            .state
            .as_ref()
            .map_or_else(String::new, |s| s.as_str().to_owned()),
        case_number: parsed.and_then(Result::ok).map(|c| c.as_str().to_owned()),
        status: status.filter(|s| s.parse::<Status>().is_ok()),
        category: clean(&query.category),
        office: clean(&query.office),
        assignee: clean(&query.assignee),
        from,
        until,
        scope_office: principal.office.clone(),
    };
    (filter, errors)
}

#[tracing::instrument(skip_all)]
pub async fn list(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&inbox, &req).await?;
    let page_ctx = page(&inbox, &req);
    let german = page_ctx.lang == Lang::De;
    let query = query.into_inner();
    let page_number = page_number(&query.page)?;
    let state = principal
        .state
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .ok_or(PageError::Forbidden)?;
    let (filter, errors) = filter_of(&query, &principal, page_ctx.lang);
    let db = inbox.receiver.db();
    let found = store::search(db, &filter, PAGE_SIZE + 1, (page_number - 1) * PAGE_SIZE).await?;
    let new_count = store::count_new(db, &state, principal.office.as_deref()).await?;
    let categories = store::categories(db, &state, principal.office.as_deref())
        .await?
        .into_iter()
        .map(|c| {
            let title = category_title(
                Some(&c.category),
                c.title_de.as_deref(),
                c.title_en.as_deref(),
                german,
            );
            (c.category.clone(), title.unwrap_or(c.category))
        })
        .collect();
    let has_next = found.len() as i64 > PAGE_SIZE && page_number < MAX_PAGE;
    let rows = found
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|r| row(r, german))
        .collect();
    let params: Vec<(&str, String)> = [
        ("q", &query.q),
        ("status", &query.status),
        ("category", &query.category),
        ("office", &query.office),
        ("assignee", &query.assignee),
        ("from", &query.from),
        ("to", &query.to),
    ]
    .into_iter()
    .filter_map(|(k, v)| clean(v).map(|v| (k, v)))
    .collect();
    let (prev_url, next_url) = paging_links(INBOX_PATH, &params, page_number, has_next);
    let (nav, cookies) = nav(&inbox, &req, &principal);
    let body = ListPage {
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.label(german)))
            .collect(),
        prev_url,
        next_url,
        page: page_ctx,
        nav,
        rows,
        categories,
        errors,
        query,
        new_count,
        page_number,
    }
    .render()?;
    Ok(html(body, cookies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_in_both_languages() {
        assert_eq!(euros(123_450, true), "1.234,50 €");
        assert_eq!(euros(123_450, false), "€1,234.50");
        assert_eq!(euros(5, true), "0,05 €");
    }

    #[test]
    fn page_numbers_are_bounded() {
        assert_eq!(page_number("").unwrap(), 1);
        assert_eq!(page_number("3").unwrap(), 3);
        for bad in ["0", "-1", "1001", "x", "99999999999999999999"] {
            assert!(page_number(bad).is_err(), "{bad}");
        }
    }
}
