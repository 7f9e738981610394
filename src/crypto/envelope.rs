//! The sealed report as stored and delivered: versioned JSON.
//!
//! The metadata travels as `aad`, base64url of its exact JSON bytes, and
//! those bytes are the HPKE associated data. Receivers parse the metadata
//! from the same bytes they authenticate, so there is nothing to
//! canonicalise. Specification: README.md, "Report envelope specification".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::{PolicePrivateKey, PolicePublicKey};
use super::{b64url_decode, b64url_encode, hpke_open, hpke_seal, sha256, CryptoError};
use crate::reports::case_number::CaseNumber;

pub const VERSION: u32 = 1;
pub const SUITE: &str = "DHKEM(X25519, HKDF-SHA256)/HKDF-SHA256/AES-256-GCM";
/// The HPKE `info` parameter.
pub const INFO: &[u8] = b"internetwache/envelope/v1";

/// Readable without the key, bound to the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeMetadata {
    pub case_number: CaseNumber,
    /// Lower-case state code, e.g. `be`.
    pub state: String,
    pub recipient_key_id: String,
    pub form_id: String,
    pub form_version: u32,
    /// Hex SHA-256 of the pinned form variant.
    pub form_content_hash: String,
    /// RFC 3339, UTC (`Z`).
    pub submitted_at: DateTime<Utc>,
    /// Responsible police office, if the form determined one.
    pub office_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub version: u32,
    pub suite: String,
    pub key_id: String,
    /// base64url (no padding) of the metadata JSON bytes = AEAD associated data.
    pub aad: String,
    /// base64url (no padding) of the 32-byte encapsulated key.
    pub enc: String,
    /// base64url (no padding) of the AES-256-GCM ciphertext with its tag.
    pub ciphertext: String,
}

impl Envelope {
    /// Seals `plaintext` to `recipient`. The metadata must name that key and
    /// its state, and the case number must carry the same state.
    pub fn seal(
        meta: &EnvelopeMetadata,
        recipient: &PolicePublicKey,
        plaintext: &[u8],
    ) -> Result<Self, CryptoError> {
        if meta.recipient_key_id != recipient.key_id {
            return Err(CryptoError::MetadataMismatch("recipient_key_id".into()));
        }
        if !meta.state.eq_ignore_ascii_case(&recipient.state) {
            return Err(CryptoError::MetadataMismatch("state".into()));
        }
        if !meta.case_number.state().eq_ignore_ascii_case(&meta.state) {
            return Err(CryptoError::MetadataMismatch("case_number prefix".into()));
        }
        let aad = serde_json::to_vec(meta)
            .map_err(|_| CryptoError::MetadataMismatch("unserializable".into()))?;
        let sealed = hpke_seal::seal(&recipient.public, INFO, &aad, plaintext)?;
        Ok(Envelope {
            version: VERSION,
            suite: SUITE.into(),
            key_id: recipient.key_id.clone(),
            aad: b64url_encode(&aad),
            enc: b64url_encode(&sealed.enc),
            ciphertext: b64url_encode(&sealed.ciphertext),
        })
    }

    /// The metadata, parsed from the authenticated bytes. Not yet verified:
    /// only a successful `open` proves they belong to the ciphertext.
    pub fn metadata(&self) -> Result<EnvelopeMetadata, CryptoError> {
        let bytes = self.check_header_and_aad()?;
        let meta: EnvelopeMetadata = serde_json::from_slice(&bytes)
            .map_err(|_| CryptoError::MalformedEnvelope("metadata is not valid JSON".into()))?;
        if meta.recipient_key_id != self.key_id {
            return Err(CryptoError::MalformedEnvelope(
                "key_id differs from metadata recipient_key_id".into(),
            ));
        }
        Ok(meta)
    }

    /// Seals under another `info` with associated data the caller made: the same envelope
    /// format for a document kind with metadata of its own (follow-ups, `reports::followup`).
    pub fn seal_raw(
        recipient: &PolicePublicKey,
        info: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Self, CryptoError> {
        let sealed = hpke_seal::seal(&recipient.public, info, aad, plaintext)?;
        Ok(Envelope {
            version: VERSION,
            suite: SUITE.into(),
            key_id: recipient.key_id.clone(),
            aad: b64url_encode(aad),
            enc: b64url_encode(&sealed.enc),
            ciphertext: b64url_encode(&sealed.ciphertext),
        })
    }

    /// The associated data bytes, not yet verified (only a successful open proves them).
    pub fn aad_bytes(&self) -> Result<Vec<u8>, CryptoError> {
        self.check_header_and_aad()
    }

    /// Opens with a raw X25519 secret (via the `hpke` crate).
    pub fn open(&self, secret: &[u8; 32]) -> Result<Vec<u8>, CryptoError> {
        self.metadata()?;
        self.open_raw(secret, INFO)
    }

    /// Opens under `info` without reading the metadata: the caller checks its own.
    pub fn open_raw(&self, secret: &[u8; 32], info: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let aad = self.check_header_and_aad()?;
        let enc = b64url_decode(&self.enc)
            .filter(|e| e.len() == 32)
            .ok_or_else(|| {
                CryptoError::MalformedEnvelope("enc is not 32 bytes of base64url".into())
            })?;
        let ciphertext = b64url_decode(&self.ciphertext)
            .ok_or_else(|| CryptoError::MalformedEnvelope("ciphertext is not base64url".into()))?;
        hpke_open::open(secret, &enc, info, &aad, &ciphertext)
    }

    /// Opens with a clerk key, naming a key-id mismatch before trying.
    pub fn open_with(&self, key: &PolicePrivateKey) -> Result<Vec<u8>, CryptoError> {
        if key.key_id != self.key_id {
            return Err(CryptoError::WrongKeyId {
                envelope: self.key_id.clone(),
                key: key.key_id.clone(),
            });
        }
        self.open(key.secret())
    }

    /// Compact JSON, fields in the documented order.
    pub fn to_json(&self) -> String {
        // Strings and an integer: serialization cannot fail.
        serde_json::to_string(self).expect("envelope serializes")
    }

    pub fn from_json(json: &str) -> Result<Self, CryptoError> {
        serde_json::from_str(json.trim()).map_err(|e| {
            CryptoError::MalformedEnvelope(format!(
                "not an envelope (line {}, column {})",
                e.line(),
                e.column()
            ))
        })
    }

    /// Hex SHA-256 of `to_json()`; delivery receipts bind this.
    pub fn sha256_hex(&self) -> String {
        self.to_json_with_sha256().1
    }

    /// `to_json()` and its hex SHA-256, serialized once (a large report's JSON is big).
    pub fn to_json_with_sha256(&self) -> (String, String) {
        let json = self.to_json();
        let digest = hex::encode(sha256(json.as_bytes()));
        (json, digest)
    }

    fn check_header_and_aad(&self) -> Result<Vec<u8>, CryptoError> {
        if self.version != VERSION {
            return Err(CryptoError::UnsupportedVersion(self.version));
        }
        if self.suite != SUITE {
            return Err(CryptoError::UnsupportedSuite(self.suite.clone()));
        }
        b64url_decode(&self.aad)
            .ok_or_else(|| CryptoError::MalformedEnvelope("aad is not base64url".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hpke_open::generate_keypair;

    fn recipient() -> ([u8; 32], PolicePublicKey) {
        let (sk, pk) = generate_keypair().expect("keypair");
        (
            sk,
            PolicePublicKey {
                state: "be".into(),
                key_id: "be-2026-11-28-00000000".into(),
                public: pk,
            },
        )
    }

    fn meta(key_id: &str) -> EnvelopeMetadata {
        EnvelopeMetadata {
            case_number: CaseNumber::generate("be").expect("case number"),
            state: "be".into(),
            recipient_key_id: key_id.into(),
            form_id: "fahrraddiebstahl".into(),
            form_version: 3,
            form_content_hash: "ab".repeat(32),
            submitted_at: DateTime::parse_from_rfc3339("2026-11-28T17:58:00.123Z")
                .expect("date")
                .with_timezone(&Utc),
            office_id: Some("be-lka".into()),
        }
    }

    fn with_bytes(env: &Envelope, field: &str, bytes: &[u8]) -> Envelope {
        let mut e = env.clone();
        let s = b64url_encode(bytes);
        match field {
            "aad" => e.aad = s,
            "enc" => e.enc = s,
            _ => e.ciphertext = s,
        }
        e
    }

    #[test]
    fn roundtrip_json_and_metadata() {
        let (sk, pk) = recipient();
        let m = meta(&pk.key_id);
        let env = Envelope::seal(&m, &pk, b"{\"report\":1}").expect("seal");
        let json = env.to_json();
        assert!(json.starts_with("{\"version\":1,\"suite\":\"DHKEM(X25519, HKDF-SHA256)/HKDF-SHA256/AES-256-GCM\",\"key_id\":"));
        let back = Envelope::from_json(&json).expect("parse");
        assert_eq!(back, env);
        assert_eq!(back.sha256_hex(), hex::encode(sha256(json.as_bytes())));
        assert_eq!(back.metadata().expect("meta"), m);
        assert_eq!(back.open(&sk).expect("open"), b"{\"report\":1}");
        assert!(Envelope::from_json("{\"version\":1}").is_err());
    }

    #[test]
    fn seal_refuses_inconsistent_metadata() {
        let (_, pk) = recipient();
        assert!(Envelope::seal(&meta("other"), &pk, b"x").is_err());
        let mut m = meta(&pk.key_id);
        m.state = "by".into();
        assert!(Envelope::seal(&m, &pk, b"x").is_err());
    }

    #[test]
    fn every_bit_flip_and_wrong_key_fail() {
        let (sk, pk) = recipient();
        let env = Envelope::seal(&meta(&pk.key_id), &pk, &[0x42; 64]).expect("seal");
        let mut flips = 0;
        for field in ["aad", "enc", "ciphertext"] {
            let orig = b64url_decode(match field {
                "aad" => &env.aad,
                "enc" => &env.enc,
                _ => &env.ciphertext,
            })
            .expect("b64");
            for i in 0..orig.len() {
                for bit in 0..8 {
                    let mut t = orig.clone();
                    t[i] ^= 1 << bit;
                    let bad = with_bytes(&env, field, &t);
                    assert!(
                        bad.open(&sk).is_err(),
                        "{field} byte {i} bit {bit} accepted"
                    );
                    flips += 1;
                }
            }
        }
        // The AEAD itself rejects altered associated data, even where the
        // altered metadata would still parse.
        let aad = b64url_decode(&env.aad).expect("aad");
        let enc = b64url_decode(&env.enc).expect("enc");
        let ct = b64url_decode(&env.ciphertext).expect("ct");
        for i in 0..aad.len() {
            let mut t = aad.clone();
            t[i] ^= 0x01;
            assert!(hpke_open::open(&sk, &enc, INFO, &t, &ct).is_err());
        }
        println!("{flips} single-bit flips of aad/enc/ciphertext, all rejected");

        let (other, _) = generate_keypair().expect("keypair");
        assert!(matches!(env.open(&other), Err(CryptoError::Open)));
    }

    #[test]
    fn metadata_cannot_be_moved_between_envelopes() {
        let (sk, pk) = recipient();
        let a = Envelope::seal(&meta(&pk.key_id), &pk, b"a").expect("seal");
        let b = Envelope::seal(&meta(&pk.key_id), &pk, b"b").expect("seal");
        let mut swapped = a.clone();
        swapped.aad = b.aad.clone();
        assert!(swapped.open(&sk).is_err());
    }
}
