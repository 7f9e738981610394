//! The police public keys reports are sealed to: configured ones, or demo keys generated
//! under the data dir. The server never reads a private key.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::Settings;
use crate::crypto::keys::{ensure_demo_keys, PolicePublicKey};

#[derive(Debug, Clone, Default)]
pub struct PoliceKeys {
    /// Per state, oldest first; the last one seals.
    by_state: BTreeMap<String, Vec<PolicePublicKey>>,
    demo_states: Vec<String>,
}

impl PoliceKeys {
    /// Configured keys for every state that has them, demo keys for the others.
    pub fn load(settings: &Settings, states: &[String]) -> anyhow::Result<PoliceKeys> {
        let mut by_state = BTreeMap::new();
        for (state, police) in &settings.police {
            let mut keys = Vec::new();
            for k in &police.keys {
                let key =
                    PolicePublicKey::from_base64(state, &k.key_id, &k.public_key).map_err(|e| {
                        anyhow::anyhow!("[police.{state}.keys] key {:?}: {e}", k.key_id)
                    })?;
                keys.push(key);
            }
            if !keys.is_empty() {
                by_state.insert(state.clone(), keys);
            }
        }
        let missing: Vec<&str> = states
            .iter()
            .filter(|s| !by_state.contains_key(s.as_str()))
            .map(String::as_str)
            .collect();
        let demo_states: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        if !missing.is_empty() {
            let demo = ensure_demo_keys(Path::new(&settings.data_dir), &missing)
                .map_err(|e| anyhow::anyhow!("cannot create demo keys: {e}"))?;
            for key in demo {
                by_state
                    .entry(key.state.clone())
                    .or_insert_with(Vec::new)
                    .push(key);
            }
            tracing::warn!(
                states = ?demo_states,
                dir = %settings.data_dir.join("keys").display(),
                "DEMO SET-UP: no police keys configured for these states; reports are sealed to generated demo keys. Configure [[police.<state>.keys]] for production."
            );
        }
        Ok(PoliceKeys {
            by_state,
            demo_states,
        })
    }

    /// The key new reports of this state are sealed to.
    pub fn sealing_key(&self, state: &str) -> Option<&PolicePublicKey> {
        self.by_state.get(state).and_then(|keys| keys.last())
    }

    pub fn is_demo(&self) -> bool {
        !self.demo_states.is_empty()
    }
}
