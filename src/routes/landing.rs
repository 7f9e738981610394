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
    let page = state.page(&req);
    let states = state
        .state_names(page.lang)
        .into_iter()
        .map(|(code, name)| StateChoice { code, name })
        .collect();
    let html = LandingPage { page, states }.render()?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
