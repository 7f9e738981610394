//! The clerks' pages of the inbox, server-rendered in the intake's layout: sign-in (the
//! intake's `staff::sessions`, against the inbox's own accounts), the Posteingang, the
//! report page with its triage forms, the print view and attachments. Every page is
//! scoped to the signed-in account's state and, if it has one, its office: any other
//! report is "not found". Assigning to others and re-routing are for leads and admins.

use actix_web::cookie::Cookie;
use actix_web::{web, HttpRequest, HttpResponse};

use super::context::Inbox;
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::staff_door::Door;
use crate::http::staff_session::StaffError;
use crate::reports::case_number::CaseNumber;
use crate::staff::{Principal, Role};
use crate::state_code::StateCode;
use crate::store::inbox::{self as store, InboxReportRow};

mod about;
mod actions;
mod list;
mod report;
mod sign_in;

pub const INBOX_PATH: &str = "/posteingang";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/anmelden", web::get().to(sign_in::form))
        .route("/anmelden", web::post().to(sign_in::submit))
        .route("/abmelden", web::post().to(sign_in::sign_out))
        .route("/", web::get().to(home))
        .route("/posteingang", web::get().to(list::list))
        .route("/posteingang/{case_number}", web::get().to(report::show))
        .route(
            "/posteingang/{case_number}/druck",
            web::get().to(report::print),
        )
        .route("/posteingang/{case_number}/pdf", web::get().to(report::pdf))
        .route(
            "/posteingang/{case_number}/anhang/{index}",
            web::get().to(report::attachment),
        )
        .route(
            "/posteingang/{case_number}/nachreichung/{seq}/{index}",
            web::get().to(report::followup_file),
        )
        .route(
            "/posteingang/{case_number}/{action}",
            web::post().to(actions::act),
        )
        .route(
            "/static/app.css",
            web::get().to(crate::http::assets::stylesheet),
        )
        .route("/static/app.js", web::get().to(crate::http::assets::script))
        .route("/sprache/{code}", web::get().to(switch_language))
        .route("/barrierefreiheit", web::get().to(about::accessibility))
        .route("/datenschutz", web::get().to(about::privacy));
}

#[derive(serde::Deserialize)]
struct SwitchQuery {
    next: Option<String>,
}

async fn switch_language(
    inbox: web::Data<Inbox>,
    code: web::Path<String>,
    query: web::Query<SwitchQuery>,
) -> HttpResponse {
    crate::http::page::switch_language(&code, query.next.as_deref(), inbox.web.secure_cookies)
}

#[tracing::instrument(skip_all)]
async fn home(req: HttpRequest, inbox: web::Data<Inbox>) -> Result<HttpResponse, StaffError> {
    require(&inbox, &req).await?;
    Ok(crate::http::response::see_other(INBOX_PATH))
}

fn page(inbox: &Inbox, req: &HttpRequest) -> PageContext {
    // The inbox never runs on demo keys it generated itself; no demo banner.
    PageContext {
        internal: true,
        ..PageContext::new(req, &inbox.web.assets, false)
    }
}

/// The inbox's staff door: its own accounts, sessions, audit log and CSRF key.
pub fn door(inbox: &Inbox) -> Door<'_> {
    Door {
        db: inbox.receiver.db(),
        audit_key: inbox.receiver.audit_key(),
        policy: inbox.web.sessions,
        csrf: &inbox.web.csrf,
        secure_cookies: inbox.web.secure_cookies,
    }
}

/// The signed-in account of this inbox; 303 to sign-in without a session.
pub async fn require(inbox: &Inbox, req: &HttpRequest) -> Result<Principal, StaffError> {
    door(inbox).require(req).await
}

/// The office a report is with now: where it was re-routed or handed over, else where
/// it was routed at filing.
pub fn office_of(row: &InboxReportRow) -> Option<&str> {
    row.status_office_id
        .as_deref()
        .or(row.triage.office_id.as_deref())
}

/// The report of `raw` if `principal` may see it; "not found" for another state's or
/// (for an account with an office) another office's report, so they cannot be probed.
pub async fn report_for(
    inbox: &Inbox,
    principal: &Principal,
    raw: &str,
) -> Result<(CaseNumber, InboxReportRow), StaffError> {
    let case_number: CaseNumber = raw.parse().map_err(|_| PageError::NotFound)?;
    let row = store::get(inbox.receiver.db(), case_number.as_str())
        .await?
        .filter(|r| {
            StateCode::parse(&r.state).is_ok_and(|s| principal.sees_report(&s, office_of(r)))
        })
        .ok_or(PageError::NotFound)?;
    Ok((case_number, row))
}

/// Checks the CSRF field of a clerk form.
pub fn check_csrf(inbox: &Inbox, req: &HttpRequest, token: Option<&str>) -> Result<(), StaffError> {
    door(inbox).check_csrf(req, token)
}

/// What the navigation of every clerk page shows.
#[derive(Debug, Clone)]
pub struct ClerkNav {
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub csrf: String,
    /// Whether the triage forms offer assigning to others and re-routing.
    pub routes: bool,
}

/// Navigation data and the CSRF cookie to set, for a page of `principal`.
pub fn nav(
    inbox: &Inbox,
    req: &HttpRequest,
    principal: &Principal,
) -> (ClerkNav, Vec<Cookie<'static>>) {
    let (csrf, cookie) = inbox.web.csrf.issue(req, inbox.web.secure_cookies);
    let state = principal
        .state
        .as_ref()
        .map(|s| s.upper())
        .unwrap_or_default();
    let scope = match &principal.office {
        Some(office) => format!("{state} · {office}"),
        None => state,
    };
    (
        ClerkNav {
            username: principal.actor.clone(),
            role: principal.role,
            scope,
            csrf,
            routes: principal.routes(),
        },
        cookie.into_iter().collect(),
    )
}
