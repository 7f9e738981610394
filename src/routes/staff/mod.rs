//! Staff routes: sign-in, police clerk pages (`/polizei`), state admin pages
//! (`/verwaltung`) and the pull API for police systems (`/api/v1`).
//!
//! The route table below is the only place routes are declared: the macro registers them
//! and lists them in [`ROUTES`], which the state-isolation test walks, so a new route
//! cannot escape that test.

use crate::app_state::AppState;
use crate::http::errors::{error_page, PageError};
use crate::http::page::request_lang;
use crate::http::staff_door::Door;
use crate::staff::{Principal, Role};
use crate::state_code::StateCode;
use actix_web::cookie::Cookie;
use actix_web::{web, HttpRequest, HttpResponse};

mod admin;
pub mod api;
mod clerk;
pub mod followup_api;
mod sign_in;

/// Who may call a route, and how a missing sign-in is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in page, API description).
    Public,
    /// Signed-in staff; otherwise 303 to the sign-in page.
    Page,
    /// A pull-API token; otherwise 401 problem+json.
    Api,
}

#[derive(Debug, Clone, Copy)]
pub struct StaffRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

macro_rules! route_table {
    ($( $method:ident $path:literal => $handler:path, $access:ident; )*) => {
        /// Every staff and API route, as registered.
        pub const ROUTES: &[StaffRoute] = &[
            $( StaffRoute { method: stringify!($method), path: $path, access: Access::$access }, )*
        ];

        /// Each route goes into a scope named by its first path segment: a scope's prefix
        /// is compared as a string, so a citizen URL passes the staff table without running
        /// one pattern of it (actix matches `{...}` patterns with a regex, in order).
        pub fn configure(cfg: &mut web::ServiceConfig) {
            let mut scopes: Vec<(&'static str, actix_web::Scope)> = Vec::new();
            $(
                let (prefix, rest) = split_first_segment($path);
                let at = match scopes.iter().position(|(p, _)| *p == prefix) {
                    Some(at) => at,
                    None => {
                        scopes.push((prefix, web::scope(prefix)));
                        scopes.len() - 1
                    }
                };
                let (prefix, scope) = scopes.remove(at);
                scopes.insert(at, (prefix, scope.route(rest, web::$method().to($handler))));
            )*
            for (_, scope) in scopes {
                cfg.service(scope);
            }
        }
    };
}

route_table! {
    get "/anmelden" => sign_in::form, Public;
    post "/anmelden" => sign_in::submit, Public;
    post "/abmelden" => sign_in::sign_out, Page;
    get "/polizei" => clerk::home, Page;
    get "/polizei/berichte" => clerk::list, Page;
    get "/polizei/berichte/{case_number}" => clerk::show, Page;
    get "/polizei/berichte/{case_number}/umschlag" => clerk::envelope, Page;
    post "/polizei/berichte/{case_number}/empfang" => clerk::confirm_receipt, Page;
    get "/verwaltung" => admin::home, Page;
    get "/verwaltung/formulare" => admin::variants, Page;
    get "/verwaltung/formulare/neu" => admin::upload_form, Page;
    post "/verwaltung/formulare/neu" => admin::upload, Page;
    post "/verwaltung/formulare/veroeffentlichen" => admin::publish, Page;
    get "/verwaltung/formulare/{state}/{form}/{version}" => admin::show_version, Page;
    post "/verwaltung/formulare/{state}/{form}/zurueckziehen" => admin::retire, Page;
    get "/verwaltung/warteschlange" => admin::queue, Page;
    post "/verwaltung/warteschlange/{job}/erneut" => admin::requeue, Page;
    get "/verwaltung/protokoll" => admin::audit_log, Page;
    get "/api/v1/openapi.json" => api::openapi, Public;
    get "/api/v1/reports" => api::list, Api;
    get "/api/v1/reports/{case_number}" => api::envelope, Api;
    post "/api/v1/reports/{case_number}/receipt" => api::receipt, Api;
    get "/api/v1/followups" => followup_api::list, Api;
    get "/api/v1/followups/{case_number}/{seq}" => followup_api::envelope, Api;
    post "/api/v1/followups/{case_number}/{seq}/receipt" => followup_api::receipt, Api;
}

/// `/polizei/berichte/{case}` → (`/polizei`, `/berichte/{case}`); `/polizei` → (`/polizei`, ``).
fn split_first_segment(path: &'static str) -> (&'static str, &'static str) {
    match path[1..].find('/') {
        Some(i) => path.split_at(i + 1),
        None => (path, ""),
    }
}

pub use crate::http::staff_session::{
    clear_session_cookie, session_cookie, StaffError, SESSION_COOKIE, SIGN_IN_PATH,
};

/// A 403/404 page in the visitor's language.
pub fn denied(req: &HttpRequest, status: actix_web::http::StatusCode) -> HttpResponse {
    error_page(request_lang(req), status)
}

/// The intake's staff door: its accounts, sessions, audit log and CSRF key.
pub fn door(app: &AppState) -> Door<'_> {
    Door {
        db: &app.db,
        audit_key: &app.audit_key,
        policy: app.session_policy(),
        csrf: &app.csrf,
        secure_cookies: app.settings.secure_cookies(),
    }
}

/// The signed-in staff member, if the session cookie names a live session. Expired
/// sessions are deleted on sight; live ones are touched (idle expiry).
#[tracing::instrument(skip_all)]
pub async fn current(app: &AppState, req: &HttpRequest) -> Result<Option<Principal>, StaffError> {
    door(app).current(req).await
}

/// The signed-in staff member with one of `roles`; 303 to sign-in without a session,
/// 403 with another role.
#[tracing::instrument(skip_all)]
pub async fn require(
    app: &AppState,
    req: &HttpRequest,
    roles: &[Role],
) -> Result<Principal, StaffError> {
    let principal = current(app, req).await?.ok_or(StaffError::SignIn)?;
    if roles.contains(&principal.role) {
        Ok(principal)
    } else {
        Err(PageError::Forbidden.into())
    }
}

/// [`require`] for a form post, which must also carry the CSRF field.
pub async fn require_post(
    app: &AppState,
    req: &HttpRequest,
    roles: &[Role],
    csrf_token: Option<&str>,
) -> Result<Principal, StaffError> {
    let principal = require(app, req, roles).await?;
    check_csrf(app, req, csrf_token)?;
    Ok(principal)
}

/// The path of one report, for the clerk pages and the pull API.
#[derive(serde::Deserialize)]
pub struct CasePath {
    case_number: String,
}

/// Checks the CSRF field of a staff form.
pub fn check_csrf(
    app: &AppState,
    req: &HttpRequest,
    token: Option<&str>,
) -> Result<(), StaffError> {
    door(app).check_csrf(req, token)
}

/// What every staff page shows in its navigation.
#[derive(Debug, Clone)]
pub struct StaffNav {
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub csrf: String,
}

impl StaffNav {
    pub fn is_clerk_side(&self) -> bool {
        matches!(self.role, Role::Clerk | Role::Lead | Role::Operator)
    }

    pub fn is_admin_side(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Operator)
    }
}

/// Navigation data and the CSRF cookie to set, for a page of `principal`.
pub fn nav(
    app: &AppState,
    req: &HttpRequest,
    principal: &Principal,
) -> (StaffNav, Vec<Cookie<'static>>) {
    let (csrf, cookie) = app.csrf.issue(req, app.settings.secure_cookies());
    let scope = principal
        .state
        .as_ref()
        .map(StateCode::upper)
        .unwrap_or_else(|| "DE".into());
    (
        StaffNav {
            username: principal.actor.clone(),
            role: principal.role,
            scope,
            csrf,
        },
        cookie.into_iter().collect(),
    )
}
