//! The status message the inbox sends back to the intake (`POST /api/v1/status`): coarse,
//! content-free, idempotent by `event_id`, and signed with a key derived from the state's
//! shared secret under its own label, so a status signature can never pass for a push
//! signature or a receipt (those are keyed with the secret itself).
//!
//! `status_key = HMAC-SHA256(secret, "internetwache/status/v1")`;
//! `X-Internetwache-Signature: v1=hex(HMAC-SHA256(status_key, timestamp + "." + body))`.

use chrono::{DateTime, Utc};
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::delivery::receipt;

pub const LABEL: &[u8] = b"internetwache/status/v1";
/// Path on the intake.
pub const PATH: &str = "/api/v1/status";

/// One status change. No report content: case number, coarse status, office, time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusMessage {
    /// Unique per change; a repeat with the same id changes nothing.
    pub event_id: String,
    pub case_number: String,
    /// `in_bearbeitung`, `abgegeben` or `abgeschlossen`.
    pub status: String,
    /// The office handling it (for `abgegeben`: the office it was handed to).
    #[serde(default)]
    pub office_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// The status signing key derived from the state's shared secret.
pub fn status_key(secret: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    hmac::sign(&key, LABEL).as_ref().to_vec()
}

pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    receipt::sign_request(&status_key(secret), timestamp, body)
}

/// Signature valid (constant time) and timestamp within the push window.
pub fn verify(secret: &[u8], timestamp: &str, body: &[u8], signature: &str, now: i64) -> bool {
    receipt::verify_request(&status_key(secret), timestamp, body, signature, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_push_signatures_never_stand_in_for_each_other() {
        let secret = b"shared-secret-of-the-state";
        let body = br#"{"event_id":"e1"}"#;
        let status = sign(secret, 1000, body);
        assert!(verify(secret, "1000", body, &status, 1000));
        assert!(!verify(b"another-secret", "1000", body, &status, 1000));
        let push = receipt::sign_request(secret, 1000, body);
        assert!(!verify(secret, "1000", body, &push, 1000));
        assert!(!receipt::verify_request(
            secret, "1000", body, &status, 1000
        ));
    }
}
