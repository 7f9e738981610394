//! Sign-in and sign-out pages of the intake's staff; the checks, throttling and sessions
//! are `staff::sessions`, the page and forms `http::staff_session`, both shared with the
//! inbox. The message never tells whether the user name exists.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::{check_csrf, current, StaffError};
use crate::app_state::AppState;
use crate::http::errors::PageError;
use crate::http::response::see_other;
use crate::http::staff_session::{
    client_ip, sign_in_page, signed_in, signed_out, SignInForm, SignOutForm, SESSION_COOKIE,
    SIGN_IN_PATH,
};
use crate::staff::sessions::{self, SignIn};
use crate::staff::Role;

fn render(
    app: &AppState,
    req: &HttpRequest,
    username: String,
    error: String,
) -> Result<HttpResponse, StaffError> {
    let secure = app.settings.secure_cookies();
    sign_in_page(app.page(req), &app.csrf, secure, req, username, error)
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

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, StaffError> {
    let form = form.into_inner();
    check_csrf(&app, &req, form.csrf_token.as_deref())?;
    let username = form.username.trim().to_owned();
    let outcome = sessions::sign_in(
        &app.db,
        &app.audit_key,
        &app.session_policy(),
        &username,
        form.password,
        &client_ip(&req),
        Utc::now(),
    )
    .await
    .map_err(PageError::internal)?;
    let secure = app.settings.secure_cookies();
    match outcome {
        SignIn::Accepted {
            session_token,
            role,
        } => signed_in(&session_token, home_of(role), secure),
        failed => {
            let message = failed.message(app.page(&req).lang);
            render(&app, &req, username, message.to_owned())
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(
    req: HttpRequest,
    app: web::Data<AppState>,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, StaffError> {
    let Some(p) = current(&app, &req).await? else {
        return Ok(see_other(SIGN_IN_PATH));
    };
    check_csrf(&app, &req, form.csrf_token.as_deref())?;
    let cookie = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    sessions::sign_out(&app.db, &app.audit_key, &p, &cookie).await?;
    signed_out(app.settings.secure_cookies())
}
