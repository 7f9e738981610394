//! A form's start page, and starting a draft pinned to the live version.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{draft_for, DraftFor, FormPath};
use crate::app_state::AppState;
use crate::clock::local_display;
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::i18n::Lang;

#[derive(Template)]
#[template(path = "citizen/start.html")]
struct StartPage {
    page: PageContext,
    base: String,
    state_code: String,
    state_name: String,
    title: String,
    help: String,
    step_titles: Vec<String>,
    needs_files: bool,
    idle_minutes: u32,
    max_hours: u32,
    csrf: String,
    resume: Option<String>,
    privacy_url: String,
}

#[tracing::instrument(skip_all)]
pub async fn start_page(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
) -> Result<HttpResponse, PageError> {
    let (code, info) = path.state(&app)?;
    let variant = app
        .forms
        .live(&app.db, &code, &path.form)
        .await?
        .ok_or(PageError::NotFound)?;
    let page = app.page(&req);
    let lang = page.lang;
    // A draft of this form already open: offer to continue it.
    let resume = match draft_for(&app, &req, &code, &path.form).await? {
        DraftFor::Active(d) if d.case_number.is_none() => {
            Some(local_display(d.expires, Utc::now(), lang == Lang::De))
        }
        _ => None,
    };
    let (csrf, cookie) = app.csrf.issue(&req, app.settings.secure_cookies());
    let body = StartPage {
        base: path.base(),
        state_code: code.to_string(),
        state_name: info.name.get(lang).to_owned(),
        title: variant.title.get(lang).to_owned(),
        help: variant.help.get(lang).to_owned(),
        step_titles: variant
            .steps
            .iter()
            .filter(|s| s.show_if.is_none())
            .map(|s| s.title.get(lang).to_owned())
            .collect(),
        needs_files: variant.steps.iter().any(|s| s.has_files()),
        idle_minutes: app.settings.draft_idle_minutes,
        max_hours: app.settings.draft_max_hours,
        csrf,
        resume,
        privacy_url: info.privacy_url.clone(),
        page,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

#[derive(Deserialize)]
pub struct StartForm {
    csrf_token: Option<String>,
    #[serde(default)]
    resume: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn start(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FormPath>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, PageError> {
    if !app.csrf.verify(&req, form.csrf_token.as_deref()) {
        return Err(PageError::Forbidden);
    }
    let (code, _) = path.state(&app)?;
    if form.resume.is_some() {
        if let DraftFor::Active(d) = draft_for(&app, &req, &code, &path.form).await? {
            let variant = app
                .forms
                .pinned(&app.db, &d.state, &d.form_id, d.form_version)
                .await?
                .ok_or(PageError::NotFound)?;
            let first = variant.visible_steps(&d.payload.answers);
            if let Some(i) = first.first() {
                return Ok(see_other(&format!(
                    "{}/schritt/{}",
                    path.base(),
                    variant.steps[*i].id
                )));
            }
        }
    }
    let variant = app
        .forms
        .live(&app.db, &code, &path.form)
        .await?
        .ok_or(PageError::NotFound)?;
    let (_draft, cookie) = app
        .drafts
        .create(
            &app.db,
            &code,
            &variant.id,
            i64::from(variant.version),
            Utc::now(),
        )
        .await?;
    let first = variant
        .visible_steps(&Default::default())
        .first()
        .map(|i| variant.steps[*i].id.clone())
        .ok_or(PageError::Invariant("form without steps"))?;
    let mut res = see_other(&format!("{}/schritt/{first}", path.base()));
    res.add_cookie(&cookie).map_err(PageError::internal)?;
    Ok(res)
}
