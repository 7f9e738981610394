//! The inbox's own accessibility statement and staff privacy notice, linked from its footer.
//! Open without signing in, like the intake's: a barrier may be what stops the sign-in.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::page;
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::html;
use crate::inbox::context::Inbox;

#[derive(Template)]
#[template(path = "about/inbox_accessibility.html")]
struct AccessibilityPage {
    page: PageContext,
}

#[derive(Template)]
#[template(path = "about/inbox_privacy.html")]
struct PrivacyPage {
    page: PageContext,
}

pub async fn accessibility(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
) -> Result<HttpResponse, PageError> {
    let page = page(&inbox, &req);
    Ok(html(AccessibilityPage { page }.render()?, Vec::new()))
}

pub async fn privacy(req: HttpRequest, inbox: web::Data<Inbox>) -> Result<HttpResponse, PageError> {
    let page = page(&inbox, &req);
    Ok(html(PrivacyPage { page }.render()?, Vec::new()))
}
