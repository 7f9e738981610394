//! After a successful look-up, a short-lived cookie keeps the citizen in for
//! [`SESSION_MINUTES`], so adding a follow-up does not need the code again. Its value is the
//! case number and expiry sealed with the server's address key (bound to a label), so it
//! can be neither read nor made; HttpOnly, SameSite=Strict, only sent under `/status`.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::{AddressKeyring, CryptoError};
use crate::reports::case_number::CaseNumber;

pub const STATUS_COOKIE: &str = "iw_status";
pub const SESSION_MINUTES: i64 = 15;
const AAD: &[u8] = b"internetwache/status-session/v1";

#[derive(Serialize, Deserialize)]
struct Session {
    case_number: CaseNumber,
    expires_at: DateTime<Utc>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// The cookie that keeps this browser in `case_number` for the next minutes.
pub fn issue(
    keys: &AddressKeyring,
    case_number: &CaseNumber,
    now: DateTime<Utc>,
    secure: bool,
) -> Result<Cookie<'static>, CryptoError> {
    let session = Session {
        case_number: case_number.clone(),
        expires_at: now + Duration::minutes(SESSION_MINUTES),
    };
    let json = serde_json::to_vec(&session).map_err(|_| CryptoError::Seal)?;
    let sealed = keys.seal(AAD, &json)?;
    Ok(Cookie::build(STATUS_COOKIE, b64().encode(sealed))
        .path("/status")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::minutes(SESSION_MINUTES))
        .finish())
}

/// The case number this browser looked up within the last minutes, if any.
pub fn current(keys: &AddressKeyring, req: &HttpRequest, now: DateTime<Utc>) -> Option<CaseNumber> {
    let cookie = req.cookie(STATUS_COOKIE)?;
    let sealed = b64().decode(cookie.value()).ok()?;
    let json = keys.open(AAD, &sealed).ok()?;
    let session: Session = serde_json::from_slice(&json).ok()?;
    (now < session.expires_at).then_some(session.case_number)
}

/// Ends the session at once ("Abmelden").
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut c = Cookie::build(STATUS_COOKIE, "")
        .path("/status")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    c.make_removal();
    c
}
