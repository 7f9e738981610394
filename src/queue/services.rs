//! What job handlers need, built once per process.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::crypto::AddressKeyring;
use crate::delivery::{push, ReceiptWriter, Targets};
use crate::form_registry::directory::Directory;
use crate::mail::Mailer;
use crate::store::Db;

pub struct Services {
    pub db: Db,
    pub settings: Settings,
    pub http: reqwest::Client,
    pub mailer: Mailer,
    pub directory: Arc<dyn Directory>,
    /// Seals and opens the confirmation addresses (the server's address key).
    pub keyring: AddressKeyring,
    pub targets: Targets,
    /// Commits the workers' push receipts in shared transactions.
    pub receipts: ReceiptWriter,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("db", &self.db.engine())
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    #[error("address keys: {0}")]
    Keys(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
}

impl Services {
    pub fn new(
        settings: &Settings,
        db: Db,
        directory: Arc<dyn Directory>,
    ) -> Result<Services, ServicesError> {
        let keyring = if settings.draft_keys.trim().is_empty() {
            AddressKeyring::load_or_create(&settings.data_dir)?
        } else {
            AddressKeyring::parse(&settings.draft_keys)?
        };
        Ok(Services {
            db,
            http: push::client(Duration::from_secs(settings.delivery_timeout_secs)),
            mailer: Mailer::from_url(
                &settings.mail_url,
                Duration::from_secs(settings.smtp_timeout_secs),
            )?,
            directory,
            keyring,
            targets: Targets::from_settings(settings),
            receipts: ReceiptWriter::new(),
            settings: settings.clone(),
        })
    }
}
