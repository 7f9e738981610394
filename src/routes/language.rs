//! The German/English switch, remembered in a cookie.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app_state::AppState;
use crate::http::page::switch_language;

#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn switch(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<SwitchQuery>,
) -> HttpResponse {
    switch_language(
        &code,
        query.next.as_deref(),
        state.settings.secure_cookies(),
    )
}
