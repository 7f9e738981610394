//! Sign-in and sign-out of the inbox: the intake's sign-in page and forms
//! (`http::staff_session`) and `staff::sessions`, against the inbox's own accounts
//! (`internetwache inbox user add`).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{check_csrf, page, require, INBOX_PATH};
use crate::http::errors::PageError;
use crate::http::staff_session::{
    client_ip, sign_in_page, signed_in, signed_out, SignInForm, SignOutForm, StaffError,
    SESSION_COOKIE,
};
use crate::inbox::context::Inbox;
use crate::staff::sessions::{self, SignIn};

fn render(
    inbox: &Inbox,
    req: &HttpRequest,
    username: String,
    error: String,
) -> Result<HttpResponse, StaffError> {
    let web = &inbox.web;
    sign_in_page(
        page(inbox, req),
        &web.csrf,
        web.secure_cookies,
        req,
        username,
        error,
    )
}

#[tracing::instrument(skip_all)]
pub async fn form(req: HttpRequest, inbox: web::Data<Inbox>) -> Result<HttpResponse, StaffError> {
    match require(&inbox, &req).await {
        Ok(_) => Ok(crate::http::response::see_other(INBOX_PATH)),
        Err(StaffError::SignIn) => render(&inbox, &req, String::new(), String::new()),
        Err(e) => Err(e),
    }
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, StaffError> {
    let form = form.into_inner();
    check_csrf(&inbox, &req, form.csrf_token.as_deref())?;
    let username = form.username.trim().to_owned();
    let outcome = sessions::sign_in(
        inbox.receiver.db(),
        inbox.receiver.audit_key(),
        &inbox.web.sessions,
        &username,
        form.password,
        &client_ip(&req),
        Utc::now(),
    )
    .await
    .map_err(PageError::internal)?;
    match outcome {
        SignIn::Accepted { session_token, .. } => {
            signed_in(&session_token, INBOX_PATH, inbox.web.secure_cookies)
        }
        failed => {
            let message = failed.message(page(&inbox, &req).lang);
            render(&inbox, &req, username, message.to_owned())
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, StaffError> {
    let principal = require(&inbox, &req).await?;
    check_csrf(&inbox, &req, form.csrf_token.as_deref())?;
    let cookie = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let db = inbox.receiver.db();
    sessions::sign_out(db, inbox.receiver.audit_key(), &principal, &cookie).await?;
    signed_out(inbox.web.secure_cookies)
}
