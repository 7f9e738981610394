//! What the staff pages of both sides (the intake's `/polizei` and `/verwaltung`, the
//! inbox's clerk pages) share at the HTTP edge: the session cookie, the sign-in path, and
//! the error that sends a visitor without a session to sign in.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpResponse, ResponseError};

use super::errors::PageError;
use super::response::see_other;

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
