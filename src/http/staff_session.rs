//! What the staff pages of both sides (the intake's `/polizei` and `/verwaltung`, the
//! inbox's clerk pages) share at the HTTP edge: the session cookie, the sign-in path, and
//! the error that sends a visitor without a session to sign in.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;

use super::csrf::CsrfKey;
use super::errors::PageError;
use super::page::PageContext;
use super::response::{html, see_other};

pub const SESSION_COOKIE: &str = "iw_staff";
pub const SIGN_IN_PATH: &str = "/anmelden";

/// Errors of staff pages: a missing sign-in redirects, everything else is a page error.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("sign-in required")]
    SignIn,
    #[error(transparent)]
    Page(#[from] PageError),
}

impl From<crate::store::StoreError> for StaffError {
    fn from(e: crate::store::StoreError) -> Self {
        StaffError::Page(e.into())
    }
}

impl From<askama::Error> for StaffError {
    fn from(e: askama::Error) -> Self {
        StaffError::Page(e.into())
    }
}

impl ResponseError for StaffError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            StaffError::SignIn => actix_web::http::StatusCode::SEE_OTHER,
            StaffError::Page(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            StaffError::SignIn => see_other(SIGN_IN_PATH),
            StaffError::Page(e) => e.error_response(),
        }
    }
}

pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token.to_owned())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

pub fn clear_session_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie("", secure);
    c.make_removal();
    c
}

#[derive(Template)]
#[template(path = "staff/sign_in.html")]
struct SignInPage {
    page: PageContext,
    csrf: String,
    username: String,
    error: String,
}

/// The sign-in page, with `error` in its error summary when not empty.
pub fn sign_in_page(
    page: PageContext,
    csrf: &CsrfKey,
    secure: bool,
    req: &HttpRequest,
    username: String,
    error: String,
) -> Result<HttpResponse, StaffError> {
    let (token, cookie) = csrf.issue(req, secure);
    let body = SignInPage {
        page,
        csrf: token,
        username,
        error,
    }
    .render()?;
    Ok(html(body, cookie.into_iter().collect()))
}

/// 303 to `home` with the new session's cookie.
pub fn signed_in(
    session_token: &str,
    home: &str,
    secure: bool,
) -> Result<HttpResponse, StaffError> {
    let mut res = see_other(home);
    res.add_cookie(&session_cookie(session_token, secure))
        .map_err(PageError::internal)?;
    Ok(res)
}

/// 303 to the sign-in page, the session cookie removed.
pub fn signed_out(secure: bool) -> Result<HttpResponse, StaffError> {
    let mut res = see_other(SIGN_IN_PATH);
    res.add_cookie(&clear_session_cookie(secure))
        .map_err(PageError::internal)?;
    Ok(res)
}

#[derive(Deserialize)]
pub struct SignInForm {
    pub csrf_token: Option<String>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Deserialize)]
pub struct SignOutForm {
    pub csrf_token: Option<String>,
}

/// The client address sign-in throttling counts, as text.
pub fn client_ip(req: &HttpRequest) -> String {
    crate::client_addr::client_ip(req)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}
