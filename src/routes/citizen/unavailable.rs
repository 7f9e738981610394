//! The step page for when the database is cut mid-POST: the drafts cannot be read or
//! written, so the citizen's typed values come back from the request itself, ready to be
//! sent again, with a 503. Nothing entered on this step is lost.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::app_state::AppState;
use crate::forms::RawStepInput;
use crate::http::csrf::CSRF_FIELD;
use crate::http::errors::PageError;
use crate::http::response::html;
use crate::i18n::Lang;

/// One posted value, shown in an input with the same name so that "send again" posts it.
struct Kept {
    name: String,
    value: String,
}

#[derive(Template)]
#[template(path = "citizen/unavailable.html")]
struct UnavailablePage {
    lang: Lang,
    action: String,
    csrf: String,
    kept: Vec<Kept>,
    files_dropped: bool,
}

/// The 503 answer to a step POST that reached no database.
pub fn step_unavailable(
    app: &AppState,
    req: &HttpRequest,
    raw: &RawStepInput,
) -> Result<HttpResponse, PageError> {
    let kept = raw
        .pairs
        .iter()
        .filter(|(name, _)| name != CSRF_FIELD && name != "action")
        .map(|(name, value)| Kept {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    let body = UnavailablePage {
        lang: app.page(req).lang,
        action: req.path().to_owned(),
        csrf: raw.first(CSRF_FIELD).unwrap_or_default().to_owned(),
        kept,
        files_dropped: !raw.files.is_empty(),
    }
    .render()?;
    let mut res = html(body, Vec::new());
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    Ok(res)
}
