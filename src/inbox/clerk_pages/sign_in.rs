//! Sign-in and sign-out of the inbox: the intake's sign-in page and `staff::sessions`,
//! against the inbox's own accounts (`internetwache inbox user add`).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{check_csrf, page, require, INBOX_PATH};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::http::staff_session::{
    clear_session_cookie, session_cookie, StaffError, SESSION_COOKIE, SIGN_IN_PATH,
};
use crate::inbox::context::Inbox;
use crate::staff::sessions::{self, SignIn};

#[derive(Template)]
#[template(path = "staff/sign_in.html")]
struct SignInPage {
    page: PageContext,
    csrf: String,
    username: String,
    error: String,
}

fn render(
    inbox: &Inbox,
    req: &HttpRequest,
    username: String,
    error: String,
) -> Result<HttpResponse, StaffError> {
    let (csrf, cookie) = inbox.web.csrf.issue(req, inbox.web.secure_cookies);
    let body = SignInPage {
        page: page(inbox, req),
        csrf,
        username,
        error,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

#[tracing::instrument(skip_all)]
pub async fn form(req: HttpRequest, inbox: web::Data<Inbox>) -> Result<HttpResponse, StaffError> {
    match require(&inbox, &req).await {
        Ok(_) => Ok(see_other(INBOX_PATH)),
        Err(StaffError::SignIn) => render(&inbox, &req, String::new(), String::new()),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, StaffError> {
    let form = form.into_inner();
    check_csrf(&inbox, &req, form.csrf_token.as_deref())?;
    let lang = page(&inbox, &req).lang;
    let username = form.username.trim().to_owned();
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let outcome = sessions::sign_in(
        inbox.receiver.db(),
        inbox.receiver.audit_key(),
        &inbox.web.sessions,
        &username,
        form.password,
        &ip,
        Utc::now(),
    )
    .await
    .map_err(PageError::internal)?;
    let message = match outcome {
        SignIn::Accepted { session_token, .. } => {
            let mut res = see_other(INBOX_PATH);
            res.add_cookie(&session_cookie(&session_token, inbox.web.secure_cookies))
                .map_err(PageError::internal)?;
            return Ok(res);
        }
        SignIn::Locked => lang.t(
            "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es später erneut.",
            "Too many failed sign-ins. Please try again later.",
        ),
        SignIn::Refused => lang.t(
            "Benutzername oder Passwort ist falsch.",
            "The user name or password is wrong.",
        ),
    };
    render(&inbox, &req, username, message.to_owned())
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf_token: Option<String>,
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
    let mut res = see_other(SIGN_IN_PATH);
    res.add_cookie(&clear_session_cookie(inbox.web.secure_cookies))
        .map_err(PageError::internal)?;
    Ok(res)
}
