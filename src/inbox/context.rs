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
use crate::http::assets::Assets;
use crate::http::csrf::CsrfKey;
use crate::staff::sessions::SessionPolicy;
use crate::store::Db;

/// Everything a running inbox shares between requests and workers.
pub struct Inbox {
    pub receiver: Receiver,
    /// Per state: the configuration (explicit, or the demo push default).
    pub states: BTreeMap<String, StateSettings>,
    /// Where status goes for states without their own `intake_url`.
    pub intake_url: Option<String>,
    /// What the clerk pages need besides the receiver.
    pub web: ClerkWeb,
}

/// The clerk pages' sign-in limits, CSRF key, stylesheet and cookie flag.
pub struct ClerkWeb {
    pub sessions: SessionPolicy,
    pub csrf: CsrfKey,
    pub assets: Assets,
    pub secure_cookies: bool,
}

impl ClerkWeb {
    /// From the settings, with the CSRF key derived from `csrf_secret`.
    pub fn new(settings: &InboxSettings, csrf_secret: &[u8]) -> ClerkWeb {
        ClerkWeb {
            sessions: settings.session_policy(),
            csrf: CsrfKey::derive(csrf_secret),
            assets: Assets::new(),
            secure_cookies: settings.secure_cookies,
        }
    }
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
        let csrf_path = settings.data_dir.join("keys").join("csrf.secret");
        let csrf_secret = secret_file::load_or_create(&csrf_path)
            .with_context(|| format!("cannot read or create {}", csrf_path.display()))?;
        Ok(Inbox {
            receiver: Receiver::new(db, Arc::new(keyring), Arc::new(audit_key)),
            states,
            intake_url,
            web: ClerkWeb::new(settings, &csrf_secret),
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
