//! The audit log's HMAC chain: `mac_n = HMAC-SHA256(key, mac_{n-1} || canonical(entry_n))`,
//! with `mac_0` = 64 zeros. The canonical bytes are the JSON array
//! `[id, at, actor, action, state, object]`, so no field can bleed into another.

use std::path::Path;

use ring::hmac;

use super::CryptoError;

pub const GENESIS_MAC: &str = "0000000000000000000000000000000000000000000000000000000000000000";
pub const KEY_FILE: &str = "audit.key";

/// The fields an entry's MAC covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainEntry<'a> {
    pub id: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub state: Option<&'a str>,
    pub object: Option<&'a str>,
}

impl ChainEntry<'_> {
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(&(
            self.id,
            self.at,
            self.actor,
            self.action,
            self.state,
            self.object,
        ))
        .unwrap_or_default()
    }
}

pub struct AuditKey(hmac::Key);

impl AuditKey {
    pub fn new(secret: &[u8]) -> AuditKey {
        AuditKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// From `IW_AUDIT_KEY`, or the key generated under `DATA_DIR/keys/audit.key`.
    pub fn load(setting: &str, data_dir: &Path) -> Result<AuditKey, CryptoError> {
        if !setting.trim().is_empty() {
            return Ok(AuditKey::new(setting.trim().as_bytes()));
        }
        let secret = super::secret_file::load_or_create(&data_dir.join("keys").join(KEY_FILE))?;
        Ok(AuditKey::new(&secret))
    }

    /// Lower-case hex MAC of `entry` chained to `prev_mac`.
    pub fn mac(&self, prev_mac: &str, entry: &ChainEntry<'_>) -> String {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(prev_mac.as_bytes());
        ctx.update(&entry.canonical());
        hex::encode(ctx.sign().as_ref())
    }

    /// Constant-time check of a stored MAC.
    pub fn verify(&self, prev_mac: &str, entry: &ChainEntry<'_>, mac: &str) -> bool {
        super::constant_time_eq(self.mac(prev_mac, entry).as_bytes(), mac.as_bytes())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_covered() {
        let key = AuditKey::new(b"k");
        let e = ChainEntry {
            id: 1,
            at: "t",
            actor: "a",
            action: "sign_in",
            state: Some("be"),
            object: None,
        };
        let mac = key.mac(GENESIS_MAC, &e);
        assert!(key.verify(GENESIS_MAC, &e, &mac));
        assert!(!key.verify(&mac, &e, &mac));
        let moved = ChainEntry { id: 2, ..e.clone() };
        assert!(!key.verify(GENESIS_MAC, &moved, &mac));
        let other = ChainEntry {
            object: Some(""),
            ..e
        };
        assert!(!key.verify(GENESIS_MAC, &other, &mac));
    }
}
