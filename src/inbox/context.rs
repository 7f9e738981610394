//! What a running inbox shares between its HTTP side and its workers: the receiver (database,
//! keys, audit key) and each state's settled mode and secret. Opened once at start-up.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;

use super::keyring::Keyring;
use super::receiver::Receiver;
use super::settings::{InboxSettings, StateSettings};
use crate::crypto::audit_chain::AuditKey;
use crate::crypto::secret_file;
use crate::store::Db;

/// Everything a running inbox shares between requests and workers.
pub struct Inbox {
    pub receiver: Receiver,
    /// Per state: the configuration (explicit, or the demo push default).
    pub states: BTreeMap<String, StateSettings>,
    /// Where status goes for states without their own `intake_url`.
    pub intake_url: Option<String>,
}

impl Inbox {
    /// Opens the database (migrated), loads the keys (refusing exposed key files) and the
    /// audit key, and settles each state's mode and secret.
    pub async fn open(settings: &InboxSettings) -> anyhow::Result<Inbox> {
        let keyring = Keyring::load_dirs(&settings.key_dirs())?;
        if keyring.is_empty() {
            anyhow::bail!(
                "no private key files (*.private.json) in {}: the inbox cannot open reports",
                settings.key_dirs
            );
        }
        let url = settings.database();
        Db::ensure_database(&url).await?;
        let db = Db::connect_lazy(&url, 10)?;
        db.migrate()
            .await
            .with_context(|| format!("cannot prepare the inbox database {url}"))?;
        let audit_key = AuditKey::load(&settings.audit_key, &settings.data_dir)
            .context("cannot load the inbox audit key")?;
        let mut states = settings.states.clone();
        for state in keyring.states() {
            if states.contains_key(&state) {
                continue;
            }
            let secret = demo_secret(settings, &state)?;
            tracing::warn!(%state, "DEMO SET-UP: no [states.{state}] configured; accepting pushes signed with the demo push secret");
            states.insert(
                state,
                StateSettings::Push {
                    secret,
                    intake_url: None,
                },
            );
        }
        let intake_url = Some(settings.intake_url.trim().to_owned()).filter(|u| !u.is_empty());
        Ok(Inbox {
            receiver: Receiver::new(db, Arc::new(keyring), Arc::new(audit_key)),
            states,
            intake_url,
        })
    }

    pub fn secret(&self, state: &str) -> Option<&[u8]> {
        self.states.get(state).map(|s| s.secret().as_bytes())
    }
}

/// The secret for states without configuration: the intake's generated receipt secret
/// (`<key dir>/<state>.receipt-secret`, created by whichever side starts first), so the demo
/// intake and inbox on one machine agree without setup.
fn demo_secret(settings: &InboxSettings, state: &str) -> anyhow::Result<String> {
    let dir = settings
        .key_dirs()
        .first()
        .cloned()
        .unwrap_or_else(|| settings.data_dir.clone());
    let path = dir.join(format!("{state}.receipt-secret"));
    let bytes = secret_file::load_or_create(&path)
        .with_context(|| format!("cannot read or create {}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
