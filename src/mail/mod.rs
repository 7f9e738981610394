//! Citizen and operator e-mail: transports (lettre), templates, and the queue jobs that
//! send them. Addresses never reach logs unmasked.

pub mod confirmation;
pub mod escalation;
pub mod resume;
pub mod transport;

pub use transport::Mailer;

use crate::store::StoreError;

/// Messages are safe to store as a job's last error: no addresses, no server replies.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail setup: {0}")]
    Setup(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("cannot write the mail file: {0}")]
    File(String),
    #[error("the stored address cannot be opened with the draft keys")]
    Sealed,
    #[error("the stored address is not a valid e-mail address")]
    Address,
    #[error("cannot build the message")]
    Build(#[from] lettre::error::Error),
    #[error("cannot render the e-mail template: {0}")]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("report {0} does not exist")]
    UnknownReport(i64),
}

/// The sender of citizen and operator e-mails (`IW_MAIL_FROM`).
pub fn sender(settings: &crate::config::Settings) -> Result<lettre::message::Mailbox, MailError> {
    settings
        .mail_from
        .parse()
        .map_err(|_| MailError::Setup("IW_MAIL_FROM is not a valid mailbox".into()))
}

/// `jane.doe@example.org` → `j***@e***.org`, for logs.
pub fn mask_address(address: &str) -> String {
    let Some((local, domain)) = address.trim().rsplit_once('@') else {
        return "***".into();
    };
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
    let tld = if tld.is_empty() {
        String::new()
    } else {
        format!(".{tld}")
    };
    format!("{}***@{}***{tld}", first(local), first(host))
}

#[cfg(test)]
mod tests {
    use super::mask_address;

    #[test]
    fn masks_addresses() {
        assert_eq!(mask_address("jane.doe@example.org"), "j***@e***.org");
        assert_eq!(mask_address("x@localhost"), "x***@l***");
        assert_eq!(mask_address("nonsense"), "***");
        assert!(!mask_address("jane.doe@example.org").contains("jane"));
    }
}
