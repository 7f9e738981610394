//! Where each state's reports go and which secret their receipts are keyed with.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::config::{DeliverySetting, Settings};

/// How one state receives reports.
#[derive(Clone)]
pub enum Target {
    /// The police system fetches reports and acknowledges each with a receipt.
    Pull { secret: Vec<u8> },
    /// Reports are POSTed to `url`; `secret` signs requests and keys receipts.
    Push { url: String, secret: Vec<u8> },
}

impl Target {
    pub fn secret(&self) -> &[u8] {
        match self {
            Target::Pull { secret } | Target::Push { secret, .. } => secret,
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Pull { .. } => f.write_str("Pull"),
            Target::Push { url, .. } => write!(f, "Push({url})"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot read or create the receipt secret")]
    Secret(#[from] crate::crypto::CryptoError),
    #[error("invalid state code {0:?}")]
    State(String),
}

/// The delivery targets of all states, built from `[police.<state>]`. A state with no
/// configured pull secret gets a generated one under `DATA_DIR/keys/<state>.receipt-secret`
/// (demo default, like the demo keys).
#[derive(Debug)]
pub struct Targets {
    configured: BTreeMap<String, DeliverySetting>,
    keys_dir: PathBuf,
    generated: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Targets {
    pub fn from_settings(settings: &Settings) -> Targets {
        Targets {
            configured: settings
                .police
                .iter()
                .map(|(state, p)| (state.to_ascii_lowercase(), p.delivery.clone()))
                .collect(),
            keys_dir: settings.data_dir.join("keys"),
            generated: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn for_state(&self, state: &str) -> Result<Target, TargetError> {
        let state = state.to_ascii_lowercase();
        match self.configured.get(&state) {
            Some(DeliverySetting::Push { url, secret }) => Ok(Target::Push {
                url: url.clone(),
                secret: secret.as_bytes().to_vec(),
            }),
            Some(DeliverySetting::Pull {
                receipt_secret: Some(secret),
            }) if !secret.is_empty() => Ok(Target::Pull {
                secret: secret.as_bytes().to_vec(),
            }),
            _ => Ok(Target::Pull {
                secret: self.generated_secret(&state)?,
            }),
        }
    }

    fn generated_secret(&self, state: &str) -> Result<Vec<u8>, TargetError> {
        if state.is_empty() || !state.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(TargetError::State(state.to_string()));
        }
        let mut cache = self.generated.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(secret) = cache.get(state) {
            return Ok(secret.clone());
        }
        let secret = crate::crypto::secret_file::load_or_create(
            &self.keys_dir.join(format!("{state}.receipt-secret")),
        )?;
        cache.insert(state.to_string(), secret.clone());
        Ok(secret)
    }
}
