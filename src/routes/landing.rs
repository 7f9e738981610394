//! The landing page: emergency notice, what not to report online, choice of state.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app_state::AppState;
use crate::http::errors::PageError;
use crate::http::page::PageContext;

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    page: PageContext,
    states: Vec<StateChoice>,
    /// Set when the state choice came back empty or unknown.
    error: String,
}

pub struct StateChoice {
    pub code: String,
    pub name: String,
}

#[tracing::instrument(skip_all)]
pub async fn landing(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    landing_page(&state, &req, false)
}

/// The landing page; with `no_state_chosen`, it explains that a state must be chosen
/// (browsers without form validation send the choice empty).
pub fn landing_page(
    app: &AppState,
    req: &HttpRequest,
    no_state_chosen: bool,
) -> Result<HttpResponse, PageError> {
    let page = app.page(req);
    let states = app
        .state_names(page.lang)
        .into_iter()
        .map(|(code, name)| StateChoice { code, name })
        .collect();
    let error = if no_state_chosen {
        page.t(
            "Wählen Sie das Bundesland, in dem es passiert ist, oder „Ich weiß es nicht“",
            "Select the state where it happened, or “I don't know”",
        )
        .to_owned()
    } else {
        String::new()
    };
    let html = LandingPage {
        page,
        states,
        error,
    }
    .render()?;
    let mut response = if no_state_chosen {
        HttpResponse::UnprocessableEntity()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.content_type("text/html; charset=utf-8").body(html))
}
