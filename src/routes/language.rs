//! The German/English switch, remembered in a cookie.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app_state::AppState;
use crate::http::page::{lang_cookie, safe_local_path};
use crate::i18n::Lang;

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
    let lang = Lang::from_code(&code).unwrap_or_default();
    HttpResponse::SeeOther()
        .cookie(lang_cookie(lang, state.settings.secure_cookies()))
        .insert_header((header::LOCATION, safe_local_path(query.next.as_deref())))
        .finish()
}
