//! "Save and continue later": the citizen gives an e-mail address, the draft is kept for
//! `IW_DRAFT_SAVED_DAYS`, and a resume link is mailed (its secret sealed for the mail
//! worker until sent). The step's answers were saved by the step form's "later" button.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

use super::step::{draft_page, open_unfiled_draft, to_confirmation, SummaryError};
use super::FormPath;
use crate::app_state::AppState;
use crate::clock::local_display;
use crate::forms::values::parse_email;
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::i18n::Lang;
use crate::mail::resume::{EnqueueError, ResumeRequest};

#[derive(Template)]
#[template(path = "citizen/save_later.html")]
struct SaveLaterPage {
    page: PageContext,
    action: String,
    back_href: String,
    csrf: String,
    saved_days: u32,
    email: String,
    errors: Vec<SummaryError>,
}

#[derive(Template)]
#[template(path = "citizen/saved.html")]
struct SavedPage {
    page: PageContext,
    until: String,
    back_href: String,
}

#[derive(serde::Deserialize)]
pub struct SaveLaterForm {
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
}

fn back_href(base: &str, step: Option<&str>) -> String {
    match step {
        Some(step) => format!("{base}/schritt/{step}"),
        None => base.to_owned(),
    }
}

fn render_form(
    app: &AppState,
    req: &HttpRequest,
    path: &FormPath,
    draft: &crate::drafts::Draft,
    email: String,
    errors: Vec<SummaryError>,
) -> Result<HttpResponse, PageError> {
    let base = path.base();
    draft_page(app, req, app.page(req), draft, |page, csrf, _| {
        SaveLaterPage {
            page,
            action: format!("{base}/spaeter"),
            back_href: back_href(&base, draft.payload.last_step.as_deref()),
            csrf,
            saved_days: app.settings.draft_saved_days,
            email,
            errors,
        }
    })
}

#[tracing::instrument(skip_all)]
pub async fn form(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, PageError> {
    let (draft, _) = match open_unfiled_draft(&app, &req, &path).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    render_form(&app, &req, &path, &draft, String::new(), Vec::new())
}

#[tracing::instrument(skip_all)]
pub async fn send(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
    form: web::Form<SaveLaterForm>,
) -> Result<HttpResponse, PageError> {
    if !app.csrf.verify(&req, form.csrf_token.as_deref()) {
        return Err(PageError::Forbidden);
    }
    let (mut draft, _) = match open_unfiled_draft(&app, &req, &path).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let lang = app.page(&req).lang;
    let Some(address) = parse_email(&form.email) else {
        let message = if form.email.trim().is_empty() {
            lang.t(
                "Geben Sie Ihre E-Mail-Adresse ein",
                "Enter your email address",
            )
        } else {
            lang.t(
                "Geben Sie eine E-Mail-Adresse im richtigen Format ein, zum Beispiel name@example.org",
                "Enter an email address in the correct format, like name@example.org",
            )
        };
        let errors = vec![SummaryError {
            href: "#email".into(),
            message: message.to_owned(),
        }];
        let mut res = render_form(&app, &req, &path, &draft, form.email.clone(), errors)?;
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let now = Utc::now();
    let Some(until) = app.drafts.keep_for_later(&app.db, &mut draft, now).await? else {
        return Ok(to_confirmation(&path.base()));
    };
    crate::mail::resume::enqueue(
        &app.db,
        &app.services.keyring,
        &ResumeRequest {
            state: &draft.state,
            lang,
            address: &address,
            secret: draft.secret(),
            expires_at: until,
        },
        now,
    )
    .await
    .map_err(|e| match e {
        EnqueueError::Store(e) => PageError::Store(e),
        EnqueueError::Crypto(e) => PageError::Internal(Box::new(e)),
    })?;
    let base = path.base();
    let body = SavedPage {
        page: app.page(&req),
        until: local_display(until, now - chrono::Duration::days(1), lang == Lang::De),
        back_href: back_href(&base, draft.payload.last_step.as_deref()),
    }
    .render()?;
    Ok(crate::http::response::html(body, Vec::new()))
}
