//! Cryptography for reports: HPKE sealing to the police (ring sender, `hpke`
//! receiver), the versioned envelope, draft encryption at rest, random
//! tokens and police key files.

pub mod audit_chain;
pub mod draft_cipher;
pub mod envelope;
pub mod hpke_open;
pub mod hpke_seal;
pub mod keys;
pub mod police_keys;
pub mod secret_file;
pub mod tokens;

use thiserror::Error;

pub use draft_cipher::DraftKeyring;
pub use envelope::{Envelope, EnvelopeMetadata};
pub use hpke_open::{generate_keypair, open};
pub use hpke_seal::{seal, Sealed};
pub use keys::{PolicePrivateKey, PolicePublicKey};
pub use tokens::{constant_time_eq, generate_token, token_hash};

/// Every crypto failure. Messages never carry plaintext or key material.
#[derive(Debug, Error)]
pub enum CryptoError {
    #[error("the random number generator failed")]
    Random,
    #[error("invalid public key")]
    InvalidPublicKey,
    #[error("invalid private key")]
    InvalidPrivateKey,
    #[error("key agreement failed")]
    KeyAgreement,
    #[error("encryption failed")]
    Seal,
    /// Wrong key, or the data was altered.
    #[error("decryption failed: wrong key or the data was altered")]
    Open,
    #[error("message limit of this HPKE context reached")]
    MessageLimit,
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(String),
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u32),
    #[error("unsupported suite {0:?}")]
    UnsupportedSuite(String),
    #[error("envelope was sealed to key {envelope:?}, but this key is {key:?}")]
    WrongKeyId { envelope: String, key: String },
    #[error("metadata does not match the recipient key: {0}")]
    MetadataMismatch(String),
    #[error("malformed key: {0}")]
    MalformedKey(String),
    #[error("unknown key id {0:?}")]
    UnknownKeyId(String),
    #[error("malformed ciphertext")]
    MalformedBlob,
    #[error("the secret file {path} is empty; delete it to have a new one generated")]
    EmptySecret { path: String },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl CryptoError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        CryptoError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// base64url without padding, the encoding of every binary envelope field.
pub(crate) fn b64url_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// Standard base64 with padding (key files, config); base64url is accepted too.
pub(crate) fn b64_std_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn b64_any_decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine;
    let s = s.trim();
    STANDARD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}
