//! Staff sign-in and sessions, shared by both sides: the intake's staff pages and the
//! inbox's clerk pages call the same code against their own database. Failed sign-ins are
//! counted per user name and per client address in the database (so every instance sees
//! them) and lock the key out for a while; the outcome never tells whether a user exists.

use chrono::{DateTime, Duration, Utc};

use super::{action, audit, dummy_hash, verify_password, Principal, Role};
use crate::crypto::audit_chain::AuditKey;
use crate::crypto::{generate_token, token_hash};
use crate::state_code::StateCode;
use crate::store::staff as store_staff;
use crate::store::{Db, StoreError};

/// Limits of one side's sign-in and sessions.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub max_failures: u32,
    pub lockout_minutes: u32,
    pub session_max_hours: u32,
    pub session_idle_minutes: u32,
    /// The roles this side accepts (the inbox has no form admins' pages, the intake no
    /// inbox): an account of another role cannot sign in here.
    pub roles: &'static [Role],
}

#[derive(Debug)]
pub enum SignIn {
    /// Too many failures for this name or address; try later.
    Locked,
    /// Wrong name or password, or a role this side does not serve.
    Refused,
    /// Signed in: the cookie value of the new session.
    Accepted { session_token: String, role: Role },
}

impl SignIn {
    /// What the sign-in page says about a failed attempt (never whether the name exists).
    pub fn message(&self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            SignIn::Locked => lang.t(
                "Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie einen Moment (höchstens zwei Minuten) und versuchen Sie es dann erneut.",
                "Too many failed sign-ins. Please wait a moment (at most two minutes) and try again.",
            ),
            SignIn::Refused | SignIn::Accepted { .. } => lang.t(
                "Benutzername oder Passwort ist falsch.",
                "The user name or password is wrong.",
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot create a session token")]
    Token,
}

fn throttle_key(kind: &str, value: &str) -> String {
    token_hash(&format!("{kind}:{value}"))
}

/// Checks `username` and `password` (argon2id, off the async threads), counts failures
/// and audits the outcome.
pub async fn sign_in(
    db: &Db,
    audit_key: &AuditKey,
    policy: &SessionPolicy,
    username: &str,
    password: String,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<SignIn, SessionError> {
    let user_key = throttle_key("user", &username.to_lowercase());
    let ip_key = throttle_key("ip", client_ip);
    let locked = store_staff::locked_until(db, &user_key, now)
        .await?
        .is_some()
        || store_staff::locked_until(db, &ip_key, now).await?.is_some();
    if locked {
        audit(
            db,
            audit_key,
            "unknown",
            action::SIGN_IN_FAILED,
            None,
            Some("locked"),
        )
        .await?;
        return Ok(SignIn::Locked);
    }

    let user = store_staff::user_by_name(db, username).await?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let role = user.as_ref().and_then(|u| Role::parse(&u.role));
    let served = role.is_some_and(|r| policy.roles.contains(&r));

    match (user, role) {
        (Some(user), Some(role)) if ok && served => {
            store_staff::clear_failures(db, &user_key).await?;
            let token = generate_token().map_err(|_| SessionError::Token)?;
            let expires = now + Duration::hours(i64::from(policy.session_max_hours));
            store_staff::create_session(db, &token_hash(&token), user.id, now, expires).await?;
            let state = user.state.as_ref().map(StateCode::as_str);
            audit(db, audit_key, &user.username, action::SIGN_IN, state, None).await?;
            Ok(SignIn::Accepted {
                session_token: token,
                role,
            })
        }
        (known, _) => {
            let window = Duration::minutes(i64::from(policy.lockout_minutes));
            let max = i64::from(policy.max_failures);
            store_staff::record_failure(db, &user_key, now, window, max).await?;
            store_staff::record_failure(db, &ip_key, now, window, max * 4).await?;
            // Only existing accounts are named, so a password typed into the user name
            // field never reaches the log.
            let actor = known.as_ref().map_or("unknown", |u| u.username.as_str());
            let state = known
                .as_ref()
                .and_then(|u| u.state.as_ref().map(StateCode::as_str));
            audit(db, audit_key, actor, action::SIGN_IN_FAILED, state, None).await?;
            Ok(SignIn::Refused)
        }
    }
}

/// The staff member of a session cookie value, if the session is live and its role is
/// served by this side. Expired sessions are deleted on sight; live ones are touched
/// (idle expiry).
pub async fn principal(
    db: &Db,
    policy: &SessionPolicy,
    cookie_value: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, StoreError> {
    if cookie_value.len() < 32 {
        return Ok(None);
    }
    let id = token_hash(cookie_value);
    let Some(row) = store_staff::session(db, &id).await? else {
        return Ok(None);
    };
    let idle = Duration::minutes(i64::from(policy.session_idle_minutes));
    if row.expires_at <= now || row.last_seen_at + idle <= now {
        store_staff::delete_session(db, &id).await?;
        return Ok(None);
    }
    store_staff::touch_session(db, &id, now).await?;
    let Some(role) = Role::parse(&row.role).filter(|r| policy.roles.contains(r)) else {
        return Ok(None);
    };
    Ok(Some(Principal {
        actor: row.username,
        role,
        state: row.state,
        office: row.office,
    }))
}

/// Ends the session of `cookie_value` and audits it.
pub async fn sign_out(
    db: &Db,
    audit_key: &AuditKey,
    principal: &Principal,
    cookie_value: &str,
) -> Result<(), StoreError> {
    store_staff::delete_session(db, &token_hash(cookie_value)).await?;
    audit(
        db,
        audit_key,
        &principal.actor,
        action::SIGN_OUT,
        principal.state.as_ref().map(StateCode::as_str),
        None,
    )
    .await
}
