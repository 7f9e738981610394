//! Coming back to a saved draft: `/{state}/fortsetzen#SECRET`. The secret stays in the
//! fragment (never in a logged path or query); a script posts it. Without JavaScript the
//! page asks for the code printed in the e-mail, which decodes to the same secret.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::state_in_catalog;
use super::step::SummaryError;
use crate::app_state::AppState;
use crate::crypto::DraftSecret;
use crate::forms::StateInfo;
use crate::http::errors::{error_page, PageError};
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::state_code::StateCode;

#[derive(Template)]
#[template(path = "citizen/resume.html")]
struct ResumePage {
    page: PageContext,
    action: String,
    csrf: String,
    state_name: String,
    errors: Vec<SummaryError>,
}

#[derive(serde::Deserialize)]
pub struct ResumeForm {
    csrf_token: Option<String>,
    #[serde(default)]
    code: String,
}

fn render(
    app: &AppState,
    req: &HttpRequest,
    code: &StateCode,
    info: &StateInfo,
    errors: Vec<SummaryError>,
) -> Result<HttpResponse, PageError> {
    let page = app.page(req);
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = ResumePage {
        action: format!("/{}/fortsetzen", code.as_str()),
        csrf,
        state_name: info.name.get(page.lang).to_owned(),
        errors,
        page,
    }
    .render()?;
    let mut res = html(body, cookie.into_iter().collect());
    *res.status_mut() = status;
    Ok(res)
}

#[tracing::instrument(skip_all)]
pub async fn form(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let (code, info) = state_in_catalog(&app, &path)?;
    render(&app, &req, &code, info, Vec::new())
}

#[tracing::instrument(skip_all)]
pub async fn resume(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<ResumeForm>,
) -> Result<HttpResponse, PageError> {
    let (code, info) = state_in_catalog(&app, &path)?;
    if !app.csrf.verify(&req, form.csrf_token.as_deref()) {
        return Err(PageError::Forbidden);
    }
    let lang = app.page(&req).lang;
    if let Err(wait) = app
        .resume_limits
        .check_address(crate::client_addr::client_ip(&req))
    {
        metrics::counter!("resume_attempts_limited_total").increment(1);
        let mut res = error_page(lang, StatusCode::TOO_MANY_REQUESTS);
        res.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_str(&wait.to_string()).expect("digits are a valid header"),
        );
        return Ok(res);
    }
    let now = Utc::now();
    let draft = match DraftSecret::parse_any(&form.code) {
        Some(secret) => app.drafts.resume(&app.db, secret, now).await?,
        None => None,
    };
    // Unknown, mistyped, expired, submitted or another state's: one answer for all.
    let Some(draft) = draft.filter(|d| d.state == code) else {
        let message = lang.t(
            "Dieser Code öffnet keine gespeicherte Anzeige. Prüfen Sie den Code in Ihrer E-Mail. Gespeicherte Anzeigen werden nach Ablauf der genannten Frist gelöscht; dann beginnen Sie bitte neu.",
            "This code opens no saved report. Check the code in your email. Saved reports are deleted when the stated time has passed; then please start again.",
        );
        let errors = vec![SummaryError {
            href: "#code".into(),
            message: message.to_owned(),
        }];
        return render(&app, &req, &code, info, errors);
    };
    let base = format!("/{}/{}", code.as_str(), draft.form_id);
    let to = match draft.payload.last_step.as_deref() {
        Some(step) => format!("{base}/schritt/{step}"),
        None => base,
    };
    let mut res = see_other(&to);
    res.add_cookie(&app.drafts.cookie_for(draft.secret()))
        .map_err(|_| PageError::Invariant("draft cookie"))?;
    Ok(res)
}
