//! Sign-in and sign-out pages of the intake's staff; the checks, throttling and sessions
//! are `staff::sessions`, shared with the inbox. The message never tells whether the user
//! name exists.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{check_csrf, clear_session_cookie, current, session_cookie, StaffError};
use crate::app_state::AppState;
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::staff::sessions::{self, SignIn};
use crate::staff::Role;

#[derive(Template)]
#[template(path = "staff/sign_in.html")]
struct SignInPage {
    page: PageContext,
    csrf: String,
    username: String,
    error: String,
}

fn render(
    app: &AppState,
    req: &HttpRequest,
    username: String,
    error: String,
) -> Result<HttpResponse, StaffError> {
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let body = SignInPage {
        page: app.page(req),
        csrf,
        username,
        error,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

fn home_of(role: Role) -> &'static str {
    match role {
        Role::Clerk | Role::Operator => "/polizei/berichte",
        Role::Admin => "/verwaltung/formulare",
    }
}

#[tracing::instrument(skip_all)]
pub async fn form(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, StaffError> {
    if let Some(p) = current(&app, &req).await? {
        return Ok(see_other(home_of(p.role)));
    }
    render(&app, &req, String::new(), String::new())
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
    app: web::Data<AppState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, StaffError> {
    let form = form.into_inner();
    check_csrf(&app, &req, form.csrf_token.as_deref())?;
    let lang = app.page(&req).lang;
    let username = form.username.trim().to_owned();
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let outcome = sessions::sign_in(
        &app.db,
        &app.audit_key,
        &app.session_policy(),
        &username,
        form.password,
        &ip,
        Utc::now(),
    )
    .await
    .map_err(PageError::internal)?;
    match outcome {
        SignIn::Accepted {
            session_token,
            role,
        } => {
            let mut res = see_other(home_of(role));
            res.add_cookie(&session_cookie(
                &session_token,
                app.settings.secure_cookies(),
            ))
            .map_err(PageError::internal)?;
            Ok(res)
        }
        SignIn::Locked => {
            let message = lang.t(
                "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es später erneut.",
                "Too many failed sign-ins. Please try again later.",
            );
            render(&app, &req, username, message.to_owned())
        }
        SignIn::Refused => {
            let message = lang.t(
                "Benutzername oder Passwort ist falsch.",
                "The user name or password is wrong.",
            );
            render(&app, &req, username, message.to_owned())
        }
    }
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf_token: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, StaffError> {
    let Some(p) = current(&app, &req).await? else {
        return Ok(see_other(super::SIGN_IN_PATH));
    };
    check_csrf(&app, &req, form.csrf_token.as_deref())?;
    let cookie = req
        .cookie(super::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    sessions::sign_out(&app.db, &app.audit_key, &p, &cookie).await?;
    let mut res = see_other(super::SIGN_IN_PATH);
    res.add_cookie(&clear_session_cookie(app.settings.secure_cookies()))
        .map_err(PageError::internal)?;
    Ok(res)
}
