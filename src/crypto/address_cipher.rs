//! AES-256-GCM under the server's own key for the one thing the server must read back
//! unattended: the citizen's e-mail address until the confirmation is mailed (then it is
//! erased). Key ids let keys rotate. Drafts are not sealed with this key (see
//! `draft_secret`). The key file keeps its historical name `draft-keys`.
//!
//! Blob: `0x01 || len(key_id) (1 byte) || key_id || nonce (12) || ciphertext+tag`.
//! The AEAD associated data is the header (`0x01 || len || key_id`) followed
//! by the caller's associated data (e.g. the draft id), so a blob cannot be
//! moved to another record.

use std::fs;
use std::io::Write;
use std::path::Path;

use ring::aead::{self, LessSafeKey, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::{b64_any_decode, b64_std_encode, CryptoError};

const BLOB_VERSION: u8 = 1;
pub const KEY_FILE: &str = "draft-keys";

/// Newest key first: it seals; every key opens.
#[derive(Clone)]
pub struct AddressKeyring {
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for AddressKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("AddressKeyring")
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

impl AddressKeyring {
    /// `keys[0]` is the newest. Ids are unique, 1-64 of `A-Z a-z 0-9 - _ .`.
    pub fn new(keys: Vec<(String, [u8; 32])>) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::MalformedKey("no address key".into()));
        }
        for (i, (id, _)) in keys.iter().enumerate() {
            let ok = !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !ok {
                return Err(CryptoError::MalformedKey(format!(
                    "draft key #{} has an invalid id",
                    i + 1
                )));
            }
            if keys[..i].iter().any(|(other, _)| other == id) {
                return Err(CryptoError::MalformedKey(format!(
                    "draft key id {id:?} appears twice"
                )));
            }
        }
        Ok(Self { keys })
    }

    /// Parses `k2:BASE64,k1:BASE64` (newest first; standard or url-safe base64).
    pub fn parse(spec: &str) -> Result<Self, CryptoError> {
        let mut keys = Vec::new();
        for (i, item) in spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .enumerate()
        {
            let (id, b64) = item.split_once(':').ok_or_else(|| {
                CryptoError::MalformedKey(format!("draft key #{} is not KEY_ID:BASE64", i + 1))
            })?;
            let key = b64_any_decode(b64)
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .ok_or_else(|| {
                    CryptoError::MalformedKey(format!(
                        "draft key #{} is not 32 bytes of base64",
                        i + 1
                    ))
                })?;
            keys.push((id.trim().to_string(), key));
        }
        Self::new(keys)
    }

    /// The inverse of `parse`. Contains the keys: handle like a secret.
    pub fn to_spec(&self) -> String {
        self.keys
            .iter()
            .map(|(id, k)| format!("{id}:{}", b64_std_encode(k)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A random key with a date-based id, e.g. `d-2026-11-28-4f1a`.
    pub fn generate() -> Result<Self, CryptoError> {
        Self::new(vec![random_key()?])
    }

    /// A new random key in front; older keys stay to open existing blobs.
    pub fn rotated(&self) -> Result<Self, CryptoError> {
        let mut keys = vec![random_key()?];
        keys.extend(self.keys.iter().cloned());
        Self::new(keys)
    }

    /// Reads `DATA_DIR/keys/draft-keys`, creating it (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, CryptoError> {
        let dir = data_dir.join("keys");
        let path = dir.join(KEY_FILE);
        match fs::read_to_string(&path) {
            Ok(spec) => return Self::parse(&spec),
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CryptoError::io(&path, e))
            }
            Err(_) => {}
        }
        crate::private_files::create_dir(&dir).map_err(|e| CryptoError::io(&dir, e))?;
        let ring = Self::generate()?;
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut f) => {
                f.write_all(format!("{}\n", ring.to_spec()).as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| CryptoError::io(&path, e))?;
                Ok(ring)
            }
            // Another instance won the race: use its key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let spec = fs::read_to_string(&path).map_err(|e| CryptoError::io(&path, e))?;
                Self::parse(&spec)
            }
            Err(e) => Err(CryptoError::io(&path, e)),
        }
    }

    pub fn current_key_id(&self) -> &str {
        &self.keys[0].0
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(id, _)| id.as_str())
    }

    /// Encrypts under the newest key with a random 96-bit nonce.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (id, key) = &self.keys[0];
        let mut blob = header(id)?;
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CryptoError::Random)?;
        let full_aad = [blob.as_slice(), aad].concat();
        blob.extend_from_slice(&nonce);
        let mut in_out = plaintext.to_vec();
        aead_key(key)?
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(full_aad.as_slice()),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Seal)?;
        blob.extend_from_slice(&in_out);
        Ok(blob)
    }

    /// Decrypts a blob sealed under any key of the ring with the same `aad`.
    pub fn open(&self, aad: &[u8], blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (&version, rest) = blob.split_first().ok_or(CryptoError::MalformedBlob)?;
        let (&id_len, rest) = rest.split_first().ok_or(CryptoError::MalformedBlob)?;
        if version != BLOB_VERSION || rest.len() < usize::from(id_len) + NONCE_LEN + 16 {
            return Err(CryptoError::MalformedBlob);
        }
        let (id, rest) = rest.split_at(usize::from(id_len));
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let id = std::str::from_utf8(id).map_err(|_| CryptoError::MalformedBlob)?;
        let (_, key) = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .ok_or_else(|| CryptoError::UnknownKeyId(id.to_string()))?;
        let header_len = 2 + usize::from(id_len);
        let full_aad = [&blob[..header_len], aad].concat();
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| CryptoError::MalformedBlob)?;
        let mut in_out = ciphertext.to_vec();
        let plaintext = aead_key(key)?
            .open_in_place(nonce, aead::Aad::from(full_aad.as_slice()), &mut in_out)
            .map_err(|_| CryptoError::Open)?;
        Ok(plaintext.to_vec())
    }
}

fn header(id: &str) -> Result<Vec<u8>, CryptoError> {
    let len = u8::try_from(id.len()).map_err(|_| CryptoError::Seal)?;
    let mut h = vec![BLOB_VERSION, len];
    h.extend_from_slice(id.as_bytes());
    Ok(h)
}

fn aead_key(key: &[u8; 32]) -> Result<LessSafeKey, CryptoError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError::Seal)
}

fn random_key() -> Result<(String, [u8; 32]), CryptoError> {
    let rng = SystemRandom::new();
    let mut key = [0u8; 32];
    let mut tag = [0u8; 2];
    rng.fill(&mut key).map_err(|_| CryptoError::Random)?;
    rng.fill(&mut tag).map_err(|_| CryptoError::Random)?;
    let id = format!(
        "d-{}-{}",
        chrono::Utc::now().format("%Y-%m-%d"),
        hex::encode(tag)
    );
    Ok((id, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_aad_and_tamper() {
        let ring = AddressKeyring::generate().expect("keyring");
        let blob = ring.seal(b"draft-1", b"secret answers").expect("seal");
        assert_eq!(
            ring.open(b"draft-1", &blob).expect("open"),
            b"secret answers"
        );
        assert!(matches!(
            ring.open(b"draft-2", &blob),
            Err(CryptoError::Open)
        ));
        for i in 0..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x80;
            assert!(ring.open(b"draft-1", &t).is_err(), "byte {i} accepted");
        }
        assert!(ring.open(b"draft-1", &blob[..blob.len() - 1]).is_err());
        assert!(ring.open(b"draft-1", &[]).is_err());
        let other = AddressKeyring::generate().expect("keyring");
        assert!(other.open(b"draft-1", &blob).is_err());
    }

    #[test]
    fn rotation_keeps_old_blobs_readable() {
        let old = AddressKeyring::parse("k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .expect("parse");
        let blob = old.seal(b"id", b"before rotation").expect("seal");
        let spec = format!("k2:{},{}", b64_std_encode(&[7u8; 32]), old.to_spec());
        let new = AddressKeyring::parse(&spec).expect("parse");
        assert_eq!(new.current_key_id(), "k2");
        assert_eq!(new.open(b"id", &blob).expect("open"), b"before rotation");
        let fresh = new.seal(b"id", b"after").expect("seal");
        assert_eq!(&fresh[2..4], b"k2");
        assert!(matches!(
            old.open(b"id", &fresh),
            Err(CryptoError::UnknownKeyId(_))
        ));
        let rotated = new.rotated().expect("rotate");
        assert_eq!(rotated.key_ids().count(), 3);
        assert_eq!(
            rotated.open(b"id", &blob).expect("open"),
            b"before rotation"
        );
    }

    #[test]
    fn parse_rejects_bad_specs() {
        assert!(AddressKeyring::parse("").is_err());
        assert!(AddressKeyring::parse("k1").is_err());
        assert!(AddressKeyring::parse("k1:AAAA").is_err());
        let k = b64_std_encode(&[1u8; 32]);
        assert!(AddressKeyring::parse(&format!("k1:{k},k1:{k}")).is_err());
        assert!(AddressKeyring::parse(&format!("bad id:{k}")).is_err());
        let err = AddressKeyring::parse("k1:AAAA")
            .expect_err("short key")
            .to_string();
        assert!(!err.contains("AAAA"));
        assert!(!format!(
            "{:?}",
            AddressKeyring::parse(&format!("k1:{k}")).expect("ok")
        )
        .contains(&k));
    }

    #[test]
    fn load_or_create_persists_with_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = AddressKeyring::load_or_create(dir.path()).expect("create");
        let b = AddressKeyring::load_or_create(dir.path()).expect("load");
        assert_eq!(a.to_spec(), b.to_spec());
        let blob = a.seal(b"x", b"y").expect("seal");
        assert_eq!(b.open(b"x", &blob).expect("open"), b"y");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join("keys").join(KEY_FILE);
            let mode = fs::metadata(path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
