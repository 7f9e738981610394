//! Police and admin staff: roles and their state scope, passwords, the audit trail, and
//! receipts of pulled reports.

use chrono::Utc;

use crate::crypto::audit_chain::AuditKey;
use crate::state_code::StateCode;
use crate::store::audit::{self as store_audit, Audited, NewAuditEntry};
use crate::store::{Db, StoreError};

pub mod receipts;
pub mod sessions;

/// What a staff account may do. Every role but `Operator` is scoped to one state, and an
/// inbox account may also be scoped to one office of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Police clerk: the state's reports, envelopes and receipts; in the inbox, reads and
    /// triages reports, assigning only to themselves.
    Clerk,
    /// Inbox team lead: a clerk who may also assign reports to others and re-route them.
    Lead,
    /// State admin: the state's form variants and delivery queue.
    Admin,
    /// Federal operator: reads every state.
    Operator,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "clerk" => Some(Role::Clerk),
            "lead" => Some(Role::Lead),
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Lead => "lead",
            Role::Admin => "admin",
            Role::Operator => "operator",
        }
    }
}

/// A signed-in staff member or an API token, as far as authorisation is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User name, or `token:<name>`; goes into the audit log.
    pub actor: String,
    pub role: Role,
    /// `None` for the operator.
    pub state: Option<StateCode>,
    /// The one office whose reports an inbox account sees; `None`: every office.
    pub office: Option<String>,
}

impl Principal {
    /// Whether this principal may see objects of `state`.
    pub fn sees(&self, state: &StateCode) -> bool {
        match (&self.role, &self.state) {
            (Role::Operator, _) => true,
            (_, Some(own)) => own == state,
            (_, None) => false,
        }
    }

    /// Whether this principal may see a report of `state` that is now with `office`
    /// (re-routed or handed over, else routed at filing; `None`: no office).
    pub fn sees_report(&self, state: &StateCode, office: Option<&str>) -> bool {
        self.sees(state) && self.office.as_deref().is_none_or(|own| office == Some(own))
    }

    /// Whether this principal may assign reports to others and re-route them to another
    /// office (lead and admin; a clerk assigns only to themselves).
    pub fn routes(&self) -> bool {
        matches!(self.role, Role::Lead | Role::Admin | Role::Operator)
    }

    /// The state filter for lists: `None` means all (operator only).
    pub fn state_filter(&self) -> Option<String> {
        match self.role {
            Role::Operator => None,
            // A principal without a state sees nothing: "--" matches no state.
            _ => Some(
                self.state
                    .as_ref()
                    .map_or_else(|| "--".into(), StateCode::to_string),
            ),
        }
    }
}

/// Audited actions.
pub mod action {
    pub const SIGN_IN: &str = "sign_in";
    pub const SIGN_IN_FAILED: &str = "sign_in_failed";
    pub const SIGN_OUT: &str = "sign_out";
    pub const ENVELOPE_DOWNLOAD: &str = "envelope_download";
    pub const RECEIPT: &str = "receipt";
    pub const UPLOAD: &str = "variant_upload";
    pub const PUBLISH: &str = "variant_publish";
    pub const RETIRE: &str = "variant_retire";
    pub const REQUEUE: &str = "job_requeue";
    pub const USER_DISABLE: &str = "user_disable";
    pub const PASSWORD_RESET: &str = "user_password_reset";
    pub const TOKEN_REVOKE: &str = "token_revoke";
}

/// The envelope of a report exactly as stored, with the download recorded in the audit log.
/// The caller has checked that `principal` may see `report`.
pub async fn download_envelope(
    db: &Db,
    audit_key: &AuditKey,
    principal: &Principal,
    report: &crate::store::reports::ReportRow,
) -> Result<Option<String>, StoreError> {
    let Some(envelope) = crate::store::reports::envelope(db, report.id).await? else {
        return Ok(None);
    };
    audit(
        db,
        audit_key,
        &principal.actor,
        action::ENVELOPE_DOWNLOAD,
        Some(report.state.as_str()),
        Some(report.case_number.as_str()),
    )
    .await?;
    Ok(Some(envelope))
}

/// An entry for the store to append in the transaction of the action it records (publish,
/// retire, requeue, receipt): both commit, or neither.
pub fn audited<'a>(
    key: &'a AuditKey,
    actor: &'a str,
    action: &'a str,
    state: Option<&'a str>,
    object: Option<&'a str>,
) -> Audited<'a> {
    Audited {
        key,
        entry: NewAuditEntry {
            actor,
            action,
            state,
            object,
        },
        now: Utc::now(),
    }
}

/// Appends an entry on its own, for events that change nothing else (sign-in, download).
/// Callers fail the request when this fails: nothing audited happens unrecorded.
pub async fn audit(
    db: &Db,
    key: &AuditKey,
    actor: &str,
    action: &str,
    state: Option<&str>,
    object: Option<&str>,
) -> Result<(), StoreError> {
    store_audit::append(
        db,
        key,
        &NewAuditEntry {
            actor,
            action,
            state,
            object,
        },
        Utc::now(),
    )
    .await
    .map(|_| ())
}

/// argon2id with the crate's default parameters, PHC string.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| argon2::password_hash::Error::Crypto)?;
    let salt = SaltString::encode_b64(&bytes)?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so both cases take as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("internetwache-dummy").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_roundtrip() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    fn code(s: &str) -> StateCode {
        StateCode::parse(s).unwrap()
    }

    #[test]
    fn scope() {
        let clerk = Principal {
            actor: "a".into(),
            role: Role::Clerk,
            state: Some(code("be")),
            office: None,
        };
        assert!(clerk.sees(&code("be")));
        assert!(!clerk.sees(&code("bb")));
        assert!(clerk.sees_report(&code("be"), Some("be-dir-1")));
        assert!(clerk.sees_report(&code("be"), None));
        assert!(!clerk.routes());
        let office_clerk = Principal {
            office: Some("be-dir-1".into()),
            ..clerk
        };
        assert!(office_clerk.sees_report(&code("be"), Some("be-dir-1")));
        assert!(!office_clerk.sees_report(&code("be"), Some("be-dir-2")));
        assert!(!office_clerk.sees_report(&code("be"), None));
        assert!(!office_clerk.sees_report(&code("bb"), Some("be-dir-1")));
        let op = Principal {
            actor: "o".into(),
            role: Role::Operator,
            state: None,
            office: None,
        };
        assert!(op.sees(&code("bb")));
        assert_eq!(op.state_filter(), None);
    }
}
