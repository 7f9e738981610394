//! The citizen's status page (`/status`, issue 14): case number + status code in a POST form
//! (never in a URL), then a content-free timeline of the report. The look-up's abuse limits
//! are in `http::status_limits`; the code check in `reports::status`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::app_state::AppState;
use crate::clock::local_timestamp;
use crate::http::errors::{error_page, PageError};
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::i18n::Lang;
use crate::reports::case_number::CaseNumber;
use crate::reports::status::{self, LookUp, Step, TimelineEntry};
use crate::reports::status_code::StatusCode as Code;

pub mod followup;
pub mod session;

#[derive(Template)]
#[template(path = "status/lookup.html")]
struct LookupPage {
    page: PageContext,
    csrf: String,
    case_number: String,
    /// (field id, message) of each problem, in page order.
    errors: Vec<(&'static str, String)>,
}

impl LookupPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Template)]
#[template(path = "status/timeline.html")]
struct TimelinePage {
    page: PageContext,
    csrf: String,
    case_number: String,
    /// (what, when) oldest first.
    entries: Vec<(String, String)>,
    gone: bool,
}

fn lookup_page(
    app: &AppState,
    req: &HttpRequest,
    case_number: String,
    errors: Vec<(&'static str, String)>,
) -> Result<HttpResponse, PageError> {
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let body = LookupPage {
        page: app.page(req),
        csrf,
        case_number,
        errors,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

#[tracing::instrument(skip_all)]
pub async fn form(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    lookup_page(&app, &req, String::new(), Vec::new())
}

#[derive(Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    case_number: String,
    #[serde(default)]
    status_code: String,
    csrf_token: Option<String>,
}

/// The look-up: limits, then the constant-time check, then the timeline (by redirect).
#[tracing::instrument(skip_all)]
pub async fn look_up(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<LookupForm>,
) -> Result<HttpResponse, PageError> {
    if !app.csrf.verify(&req, form.csrf_token.as_deref()) {
        return Err(PageError::Forbidden);
    }
    let lang = crate::http::page::request_lang(&req);
    let client = crate::client_addr::client_ip(&req);
    if let Err(wait) = app.status_limits.check_address(client) {
        metrics::counter!("status_lookups_limited_total").increment(1);
        let mut res = error_page(lang, StatusCode::TOO_MANY_REQUESTS);
        res.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_str(&wait.to_string()).expect("digits are a valid header"),
        );
        return Ok(res);
    }
    let typed = form.case_number.trim().to_owned();
    let mut errors = Vec::new();
    let case_number = CaseNumber::parse(&typed)
        .map_err(|_| {
            errors.push((
                "case_number",
                lang.t(
                    "Geben Sie das Aktenzeichen so ein, wie es in der Bestätigung steht, zum Beispiel BE-K7M3-Q9XD-R2HP-7",
                    "Enter the case number as shown in your confirmation, for example BE-K7M3-Q9XD-R2HP-7",
                )
                .to_owned(),
            ))
        })
        .ok();
    let code = Code::parse(&form.status_code)
        .map_err(|_| {
            errors.push((
                "status_code",
                lang.t(
                    "Geben Sie den Statuscode mit 20 Zeichen so ein, wie er in der Bestätigung steht",
                    "Enter the 20-character status code as shown in your confirmation",
                )
                .to_owned(),
            ))
        })
        .ok();
    let (Some(case_number), Some(code)) = (case_number, code) else {
        return lookup_page(&app, &req, typed, errors);
    };
    // Known or not, a busy case number waits the same short time; nobody is locked out.
    let delay = app.status_limits.case_delay(case_number.as_str());
    if !delay.is_zero() {
        metrics::counter!("status_lookups_delayed_total").increment(1);
        tokio::time::sleep(delay).await;
    }
    match status::look_up(&app.db, &case_number, &code).await? {
        LookUp::NoMatch => {
            let message = lang.t(
                "Aktenzeichen und Statuscode passen nicht zusammen. Prüfen Sie beide Angaben in Ihrer Bestätigung.",
                "The case number and the status code do not match. Check both in your confirmation.",
            );
            lookup_page(
                &app,
                &req,
                case_number.to_string(),
                vec![("case_number", message.to_owned())],
            )
        }
        LookUp::NoLongerOnline => timeline_page(&app, &req, &case_number, Vec::new(), true),
        LookUp::Found => {
            let cookie = session::issue(
                &app.services.keyring,
                &case_number,
                Utc::now(),
                app.settings.secure_cookies(),
            )
            .map_err(PageError::internal)?;
            let mut res = see_other("/status/vorgang");
            res.add_cookie(&cookie).map_err(PageError::internal)?;
            Ok(res)
        }
    }
}

/// The timeline of the case this browser looked up in the last minutes.
#[tracing::instrument(skip_all)]
pub async fn case(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let Some(case_number) = session::current(&app.services.keyring, &req, Utc::now()) else {
        return Ok(see_other("/status"));
    };
    match status::timeline(&app.db, &case_number).await? {
        Some((state, entries)) => {
            let lang = crate::http::page::request_lang(&req);
            let rows = entries
                .iter()
                .map(|e| describe(&app, lang, &state, e))
                .collect();
            timeline_page(&app, &req, &case_number, rows, false)
        }
        None => timeline_page(&app, &req, &case_number, Vec::new(), true),
    }
}

/// Ends the look-up session now.
#[tracing::instrument(skip_all)]
pub async fn end(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<EndForm>,
) -> Result<HttpResponse, PageError> {
    if !app.csrf.verify(&req, form.csrf_token.as_deref()) {
        return Err(PageError::Forbidden);
    }
    let mut res = see_other("/status");
    res.add_removal_cookie(&session::removal(app.settings.secure_cookies()))
        .map_err(PageError::internal)?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct EndForm {
    csrf_token: Option<String>,
}

fn timeline_page(
    app: &AppState,
    req: &HttpRequest,
    case_number: &CaseNumber,
    entries: Vec<(String, String)>,
    gone: bool,
) -> Result<HttpResponse, PageError> {
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let body = TimelinePage {
        page: app.page(req),
        csrf,
        case_number: case_number.to_string(),
        entries,
        gone,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

/// (what, when) of one timeline entry, in the page's language.
fn describe(app: &AppState, lang: Lang, state: &str, entry: &TimelineEntry) -> (String, String) {
    let office = |id: &Option<String>| match id {
        Some(id) => app
            .directory
            .office(state, id)
            .map(|c| c.name)
            .unwrap_or_else(|| format!("{} {id}", lang.t("Dienststelle", "office"))),
        None => lang.t("der Polizei", "the police").to_owned(),
    };
    let what = match &entry.step {
        Step::Received => lang.t("Eingegangen", "Received").to_owned(),
        Step::Delivered => lang
            .t("Zugestellt an die Polizei", "Delivered to the police")
            .to_owned(),
        Step::InProgress { office_id } => format!(
            "{} {}",
            lang.t("In Bearbeitung bei", "In progress at"),
            office(office_id)
        ),
        Step::HandedOver { office_id } => format!(
            "{} {}",
            lang.t("Abgegeben an", "Handed over to"),
            office(office_id)
        ),
        Step::Closed => lang.t("Abgeschlossen", "Closed").to_owned(),
    };
    (
        what,
        local_timestamp(&entry.at.to_rfc3339(), lang == Lang::De),
    )
}
