//! Police key pairs and their files.
//!
//! Key id: `<state>-<YYYY-MM-DD>-<first 8 hex digits of SHA-256(public key)>`,
//! e.g. `be-2026-11-28-3f9a0c21`: readable, sortable by creation date and
//! tied to the key bytes. Files are JSON, keys in standard base64 with padding:
//!
//! ```text
//! <key_id>.public.json  {"format":"internetwache-police-public-key/v1","state":"be","key_id":"...","kem":"DHKEM(X25519, HKDF-SHA256)","public_key":"BASE64"}
//! <key_id>.private.json {"format":"internetwache-police-private-key/v1","state":"be","key_id":"...","kem":"DHKEM(X25519, HKDF-SHA256)","public_key":"BASE64","secret_key":"BASE64"}
//! ```
//!
//! The intake server only ever reads public keys; `ensure_demo_keys` writes
//! private keys to disk for the demo clerk and never reads them back.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::hpke_open::{generate_keypair, public_key_of};
use super::{b64_any_decode, b64_std_encode, sha256, CryptoError};

pub const PUBLIC_FORMAT: &str = "internetwache-police-public-key/v1";
pub const PRIVATE_FORMAT: &str = "internetwache-police-private-key/v1";
pub const KEM_NAME: &str = "DHKEM(X25519, HKDF-SHA256)";

/// A state police's X25519 public key that reports are sealed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicePublicKey {
    /// Lower-case state code, e.g. `be`.
    pub state: String,
    pub key_id: String,
    pub public: [u8; 32],
}

impl PolicePublicKey {
    /// From config values (`public_key` in standard base64; base64url accepted).
    pub fn from_base64(state: &str, key_id: &str, public_key: &str) -> Result<Self, CryptoError> {
        let state = normalize_state(state)?;
        check_key_id(key_id)?;
        let public = decode_key(public_key, "public_key")?;
        Ok(Self {
            state,
            key_id: key_id.to_string(),
            public,
        })
    }

    pub fn public_base64(&self) -> String {
        b64_std_encode(&self.public)
    }

    /// The block to paste into `internetwache.toml`.
    pub fn config_snippet(&self) -> String {
        format!(
            "[[police.{}.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n",
            self.state,
            self.key_id,
            self.public_base64()
        )
    }
}

/// A clerk's private key. Debug never shows the secret.
#[derive(Clone)]
pub struct PolicePrivateKey {
    pub state: String,
    pub key_id: String,
    secret: [u8; 32],
    public: [u8; 32],
}

impl PolicePrivateKey {
    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    pub fn public_key(&self) -> PolicePublicKey {
        PolicePublicKey {
            state: self.state.clone(),
            key_id: self.key_id.clone(),
            public: self.public,
        }
    }
}

impl std::fmt::Debug for PolicePrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicePrivateKey")
            .field("state", &self.state)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    state: String,
    key_id: String,
    kem: String,
    public_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
}

/// What `generate` wrote.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    pub public: PolicePublicKey,
    pub public_path: PathBuf,
    pub private_path: PathBuf,
    pub config_snippet: String,
}

/// `<state>-<YYYY-MM-DD>-<8 hex of SHA-256(public)>`.
pub fn key_id_for(state: &str, date: chrono::NaiveDate, public: &[u8; 32]) -> String {
    let hash = hex::encode(&sha256(public)[..4]);
    format!("{}-{}-{hash}", state, date.format("%Y-%m-%d"))
}

/// Generates a key pair for `state` and writes both files into `out_dir`
/// (private key mode 0600; existing files are never overwritten).
pub fn generate(state: &str, out_dir: &Path) -> Result<GeneratedKey, CryptoError> {
    let state = normalize_state(state)?;
    let (secret, public) = generate_keypair()?;
    let key_id = key_id_for(&state, chrono::Utc::now().date_naive(), &public);
    crate::private_files::create_dir(out_dir).map_err(|e| CryptoError::io(out_dir, e))?;

    let public_path = out_dir.join(format!("{key_id}.public.json"));
    let private_path = out_dir.join(format!("{key_id}.private.json"));
    let mut file = KeyFile {
        format: PRIVATE_FORMAT.into(),
        state: state.clone(),
        key_id: key_id.clone(),
        kem: KEM_NAME.into(),
        public_key: b64_std_encode(&public),
        secret_key: Some(b64_std_encode(&secret)),
    };
    write_new(&private_path, &to_json(&file)?, true)?;
    file.format = PUBLIC_FORMAT.into();
    file.secret_key = None;
    write_new(&public_path, &to_json(&file)?, false)?;

    let public = PolicePublicKey {
        state,
        key_id,
        public,
    };
    Ok(GeneratedKey {
        config_snippet: public.config_snippet(),
        public,
        public_path,
        private_path,
    })
}

/// Reads a private key file and checks that its public key matches the secret.
pub fn load_private_key(path: &Path) -> Result<PolicePrivateKey, CryptoError> {
    let file = read_key_file(path)?;
    if file.format != PRIVATE_FORMAT {
        return Err(CryptoError::MalformedKey(format!(
            "{} is not a private key file (format {:?})",
            path.display(),
            file.format
        )));
    }
    let secret_b64 = file
        .secret_key
        .as_deref()
        .ok_or_else(|| CryptoError::MalformedKey("secret_key missing".into()))?;
    let secret = decode_key(secret_b64, "secret_key")?;
    let public = decode_key(&file.public_key, "public_key")?;
    if public_key_of(&secret)? != public {
        return Err(CryptoError::MalformedKey(
            "public_key does not belong to secret_key".into(),
        ));
    }
    Ok(PolicePrivateKey {
        state: normalize_state(&file.state)?,
        key_id: file.key_id,
        secret,
        public,
    })
}

/// Reads a public key file (a private key file is refused, so it is not
/// handed around by mistake).
pub fn load_public_key(path: &Path) -> Result<PolicePublicKey, CryptoError> {
    let file = read_key_file(path)?;
    if file.format != PUBLIC_FORMAT || file.secret_key.is_some() {
        return Err(CryptoError::MalformedKey(format!(
            "{} is not a public key file",
            path.display()
        )));
    }
    PolicePublicKey::from_base64(&file.state, &file.key_id, &file.public_key)
}

/// Demo setup: makes sure `DATA_DIR/keys/` holds a key pair for each state and
/// returns the public keys found there for those states.
pub fn ensure_demo_keys(
    data_dir: &Path,
    states: &[&str],
) -> Result<Vec<PolicePublicKey>, CryptoError> {
    let dir = data_dir.join("keys");
    let mut found = read_public_keys(&dir)?;
    for state in states {
        let state = normalize_state(state)?;
        if !found.iter().any(|k| k.state == state) {
            found.push(generate(&state, &dir)?.public);
        }
    }
    let wanted: Vec<String> = states
        .iter()
        .map(|s| normalize_state(s))
        .collect::<Result<_, _>>()?;
    found.retain(|k| wanted.contains(&k.state));
    found.sort_by(|a, b| (&a.state, &a.key_id).cmp(&(&b.state, &b.key_id)));
    Ok(found)
}

fn read_public_keys(dir: &Path) -> Result<Vec<PolicePublicKey>, CryptoError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CryptoError::io(dir, e)),
    };
    let mut keys = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| CryptoError::io(dir, e))?.path();
        let is_public = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".public.json"));
        if is_public {
            keys.push(load_public_key(&path)?);
        }
    }
    Ok(keys)
}

fn read_key_file(path: &Path) -> Result<KeyFile, CryptoError> {
    let text = fs::read_to_string(path).map_err(|e| CryptoError::io(path, e))?;
    // serde's message may quote input; keep only its position.
    serde_json::from_str(&text).map_err(|e| {
        CryptoError::MalformedKey(format!(
            "{} is not a key file (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

fn to_json(file: &KeyFile) -> Result<String, CryptoError> {
    serde_json::to_string_pretty(file)
        .map(|s| s + "\n")
        .map_err(|_| CryptoError::MalformedKey("cannot serialize key file".into()))
}

fn write_new(path: &Path, contents: &str, private: bool) -> Result<(), CryptoError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = options.open(path).map_err(|e| CryptoError::io(path, e))?;
    f.write_all(contents.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| CryptoError::io(path, e))
}

fn decode_key(b64: &str, what: &str) -> Result<[u8; 32], CryptoError> {
    b64_any_decode(b64)
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .ok_or_else(|| CryptoError::MalformedKey(format!("{what} is not 32 bytes of base64")))
}

pub(crate) fn normalize_state(state: &str) -> Result<String, CryptoError> {
    let s = state.trim().to_ascii_lowercase();
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(s)
    } else {
        Err(CryptoError::MalformedKey(
            "a state code is two letters".into(),
        ))
    }
}

fn check_key_id(key_id: &str) -> Result<(), CryptoError> {
    let ok = !key_id.is_empty()
        && key_id.len() <= 64
        && key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(CryptoError::MalformedKey(
            "a key id is 1-64 characters A-Z a-z 0-9 - _ .".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_and_load() {
        let dir = tempfile::tempdir().expect("tempdir");
        let g = generate("BE", dir.path()).expect("generate");
        assert_eq!(g.public.state, "be");
        assert!(g.public.key_id.starts_with("be-"));
        assert_eq!(g.public.key_id.len(), "be-2026-11-28-3f9a0c21".len());
        assert!(g
            .config_snippet
            .starts_with("[[police.be.keys]]\nkey_id = \"be-"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&g.private_path)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sk = load_private_key(&g.private_path).expect("private");
        assert_eq!(sk.public_key(), g.public);
        assert_eq!(load_public_key(&g.public_path).expect("public"), g.public);
        assert!(load_public_key(&g.private_path).is_err());
        assert!(load_private_key(&g.public_path).is_err());
        let debug = format!("{sk:?}");
        assert!(!debug.contains(&b64_std_encode(sk.secret())));
        let from_cfg =
            PolicePublicKey::from_base64("be", &g.public.key_id, &g.public.public_base64())
                .expect("from config");
        assert_eq!(from_cfg, g.public);
    }

    #[test]
    fn ensure_demo_keys_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = ensure_demo_keys(dir.path(), &["be", "by"]).expect("first");
        assert_eq!(first.len(), 2);
        let again = ensure_demo_keys(dir.path(), &["be", "by", "nw"]).expect("again");
        assert_eq!(again.len(), 3);
        assert!(first.iter().all(|k| again.contains(k)));
        let only_be = ensure_demo_keys(dir.path(), &["be"]).expect("be");
        assert_eq!(only_be, vec![first[0].clone()]);
    }
}
