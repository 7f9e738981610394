//! Sign-in and sign-out. Failed sign-ins are counted per user name and per client address
//! in the database (so every instance sees them) and lock the key out for a while. The
//! message never tells whether the user name exists.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::{check_csrf, clear_session_cookie, current, session_cookie, StaffError};
use crate::app_state::AppState;
use crate::crypto::{generate_token, token_hash};
use crate::http::errors::PageError;
use crate::http::page::PageContext;
use crate::http::response::{html, see_other};
use crate::staff::{action, audit, dummy_hash, verify_password, Role};
use crate::state_code::StateCode;
use crate::store::staff as store_staff;

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

fn throttle_key(kind: &str, value: &str) -> String {
    token_hash(&format!("{kind}:{value}"))
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
    let now = Utc::now();
    let user_key = throttle_key("user", &username.to_lowercase());
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let ip_key = throttle_key("ip", &ip);

    let locked = store_staff::locked_until(&app.db, &user_key, now)
        .await?
        .is_some()
        || store_staff::locked_until(&app.db, &ip_key, now)
            .await?
            .is_some();
    if locked {
        audit(
            &app.db,
            &app.audit_key,
            "unknown",
            action::SIGN_IN_FAILED,
            None,
            Some("locked"),
        )
        .await?;
        let message = lang.t(
            "Zu viele fehlgeschlagene Anmeldungen. Bitte versuchen Sie es später erneut.",
            "Too many failed sign-ins. Please try again later.",
        );
        return render(&app, &req, username, message.to_owned());
    }

    let user = store_staff::user_by_name(&app.db, &username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = form.password;
    let ok = web::block(move || verify_password(&password, &hash))
        .await
        .map_err(PageError::internal)?;

    match user.filter(|_| ok) {
        Some(user) => {
            store_staff::clear_failures(&app.db, &user_key).await?;
            let token = generate_token().map_err(PageError::internal)?;
            let expires = now + Duration::hours(i64::from(app.settings.staff_session_max_hours));
            store_staff::create_session(&app.db, &token_hash(&token), user.id, now, expires)
                .await?;
            audit(
                &app.db,
                &app.audit_key,
                &user.username,
                action::SIGN_IN,
                user.state.as_ref().map(StateCode::as_str),
                None,
            )
            .await?;
            let role = Role::parse(&user.role).unwrap_or(Role::Clerk);
            let mut res = see_other(home_of(role));
            res.add_cookie(&session_cookie(&token, app.settings.secure_cookies()))
                .map_err(PageError::internal)?;
            Ok(res)
        }
        None => {
            let window = Duration::minutes(i64::from(app.settings.sign_in_lockout_minutes));
            let max = i64::from(app.settings.sign_in_max_failures);
            store_staff::record_failure(&app.db, &user_key, now, window, max).await?;
            store_staff::record_failure(&app.db, &ip_key, now, window, max * 4).await?;
            // Only existing accounts are named, so a password typed into the user name
            // field never reaches the log.
            let known = store_staff::user_by_name(&app.db, &username).await?;
            let actor = known.as_ref().map_or("unknown", |u| u.username.as_str());
            let state = known
                .as_ref()
                .and_then(|u| u.state.as_ref().map(StateCode::as_str));
            audit(
                &app.db,
                &app.audit_key,
                actor,
                action::SIGN_IN_FAILED,
                state,
                None,
            )
            .await?;
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
    {
        if let Some(cookie) = req.cookie(super::SESSION_COOKIE) {
            store_staff::delete_session(&app.db, &token_hash(cookie.value())).await?;
        }
        audit(
            &app.db,
            &app.audit_key,
            &p.actor,
            action::SIGN_OUT,
            p.state.as_ref().map(StateCode::as_str),
            None,
        )
        .await?;
    }
    let mut res = see_other(super::SIGN_IN_PATH);
    res.add_cookie(&clear_session_cookie(app.settings.secure_cookies()))
        .map_err(PageError::internal)?;
    Ok(res)
}
