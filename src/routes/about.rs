//! Pages about the service itself, linked from every footer (BITV 2.0 § 4): the
//! accessibility statement, the privacy notice, Leichte Sprache and Deutsche
//! Gebärdensprache. They need no database, so they render even before it is ready.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app_state::AppState;
use crate::http::errors::PageError;
use crate::http::page::PageContext;

/// A state's own notices and contact desk, as the statement and privacy pages list them.
pub struct StateNotices {
    pub name: String,
    pub privacy_url: String,
    pub accessibility_url: String,
    pub desk_name: String,
    pub desk_phone: String,
}

/// How long an unfinished report is kept; the texts state it.
pub struct DraftLimits {
    pub idle_minutes: u32,
    pub max_hours: u32,
}

#[derive(Template)]
#[template(path = "about/accessibility.html")]
struct AccessibilityPage {
    page: PageContext,
    states: Vec<StateNotices>,
}

#[derive(Template)]
#[template(path = "about/privacy.html")]
struct PrivacyPage {
    page: PageContext,
    states: Vec<StateNotices>,
    limits: DraftLimits,
}

#[derive(Template)]
#[template(path = "about/easy_language.html")]
struct EasyLanguagePage {
    page: PageContext,
    limits: DraftLimits,
}

#[derive(Template)]
#[template(path = "about/sign_language.html")]
struct SignLanguagePage {
    page: PageContext,
    limits: DraftLimits,
}

fn state_notices(app: &AppState, page: &PageContext) -> Vec<StateNotices> {
    let mut states: Vec<StateNotices> = app
        .forms
        .catalog()
        .states()
        .map(|s| StateNotices {
            name: s.name.get(page.lang).to_owned(),
            privacy_url: s.privacy_url.clone(),
            accessibility_url: s.accessibility_url.clone(),
            desk_name: s.central_office.name.clone(),
            desk_phone: s.central_office.phone.clone(),
        })
        .collect();
    states.sort_by(|a, b| a.name.cmp(&b.name));
    states
}

fn draft_limits(app: &AppState) -> DraftLimits {
    DraftLimits {
        idle_minutes: app.settings.draft_idle_minutes,
        max_hours: app.settings.draft_max_hours,
    }
}

fn ok(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

#[tracing::instrument(skip_all)]
pub async fn accessibility(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let page = app.page(&req);
    let states = state_notices(&app, &page);
    Ok(ok(AccessibilityPage { page, states }.render()?))
}

#[tracing::instrument(skip_all)]
pub async fn privacy(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let page = app.page(&req);
    let states = state_notices(&app, &page);
    let limits = draft_limits(&app);
    Ok(ok(PrivacyPage {
        page,
        states,
        limits,
    }
    .render()?))
}

#[tracing::instrument(skip_all)]
pub async fn easy_language(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let page = app.page(&req);
    let limits = draft_limits(&app);
    Ok(ok(EasyLanguagePage { page, limits }.render()?))
}

#[tracing::instrument(skip_all)]
pub async fn sign_language(
    req: HttpRequest,
    app: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let page = app.page(&req);
    let limits = draft_limits(&app);
    Ok(ok(SignLanguagePage { page, limits }.render()?))
}
