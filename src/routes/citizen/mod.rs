//! The citizen's journey: state and category, steps, review, submit, confirmation.

use actix_web::{web, HttpRequest};

use crate::app_state::AppState;
use crate::drafts::{Draft, Lookup};
use crate::forms::StateInfo;
use crate::http::errors::PageError;
use crate::state_code::StateCode;

pub(super) mod choose;
mod confirmation;
mod resume;
mod review;
mod save_later;
mod start;
pub(crate) mod step;
mod unavailable;

/// The `/{state}/...` patterns; the fixed `/melden` paths are in the route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Steps first: they are most of the traffic, and actix tries the `{...}` patterns in
    // order, each with a regex. No pattern below matches a step URL, so order is free here.
    cfg.service(
        web::resource("/{state}/{form}/schritt/{step}")
            .route(web::get().to(step::show))
            .route(web::post().to(step::save))
            // Other methods get the 404 page, as when GET and POST were separate routes.
            .default_service(web::to(crate::http::errors::not_found)),
    )
    .route("/{state}", web::get().to(choose::state_page))
    // Before `/{state}/{form}`, which would take "fortsetzen" for a form id.
    .route("/{state}/fortsetzen", web::get().to(resume::form))
    .route("/{state}/fortsetzen", web::post().to(resume::resume))
    .route("/{state}/{form}", web::get().to(start::start_page))
    .route("/{state}/{form}/start", web::post().to(start::start))
    .route("/{state}/{form}/spaeter", web::get().to(save_later::form))
    .route("/{state}/{form}/spaeter", web::post().to(save_later::send))
    .route("/{state}/{form}/pruefen", web::get().to(review::show))
    .route("/{state}/{form}/absenden", web::post().to(review::submit))
    .route(
        "/{state}/{form}/bestaetigung",
        web::get().to(confirmation::show),
    )
    .route(
        "/{state}/{form}/ausdruck",
        web::get().to(confirmation::print),
    );
}

/// `/{state}/{form}` path segments, checked against the catalog.
#[derive(serde::Deserialize)]
pub struct FormPath {
    state: String,
    form: String,
}

impl FormPath {
    fn state<'a>(&self, app: &'a AppState) -> Result<(StateCode, &'a StateInfo), PageError> {
        state_in_catalog(app, &self.state)
    }

    fn base(&self) -> String {
        format!("/{}/{}", self.state, self.form)
    }
}

/// A `{state}` path segment, checked against the catalog.
fn state_in_catalog<'a>(
    app: &'a AppState,
    raw: &str,
) -> Result<(StateCode, &'a StateInfo), PageError> {
    let code = StateCode::parse(raw).map_err(|_| PageError::NotFound)?;
    let info = app
        .forms
        .catalog()
        .state(&code)
        .ok_or(PageError::NotFound)?;
    Ok((code, info))
}

/// What a request finds behind its draft cookie for this form.
pub enum DraftFor {
    Active(Box<Draft>),
    /// No draft, or a draft of another form: the citizen starts (again) here.
    None,
    Expired,
}

pub async fn draft_for(
    app: &AppState,
    req: &HttpRequest,
    state: &StateCode,
    form_id: &str,
) -> Result<DraftFor, PageError> {
    let lookup = app.drafts.lookup(&app.db, req, chrono::Utc::now()).await?;
    Ok(match lookup {
        Lookup::Missing => DraftFor::None,
        Lookup::Expired => DraftFor::Expired,
        Lookup::Active(d) if &d.state == state && d.form_id == form_id => DraftFor::Active(d),
        Lookup::Active(_) => DraftFor::None,
    })
}
