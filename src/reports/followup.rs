//! What a citizen adds later from the status page (issue 14, "Nachreichen"): schema
//! `internetwache.followup.v1`, sealed to the state's police key as its own envelope. The
//! associated data names the case number and the sequence number, so a follow-up can be
//! neither moved to another case nor re-ordered. Specification: README.md, "Follow-up
//! envelope specification".

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::{CryptoError, Envelope, PolicePrivateKey, PolicePublicKey};
use crate::reports::case_number::CaseNumber;

pub const SCHEMA: &str = "internetwache.followup.v1";
/// The HPKE `info` of follow-ups; reports use `internetwache/envelope/v1`.
pub const INFO: &[u8] = b"internetwache/followup/v1";

/// The associated data: readable without the key, bound to the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowupMetadata {
    /// Always [`SCHEMA`].
    pub schema: String,
    pub case_number: CaseNumber,
    /// 1, 2, ... per case, in the order the citizen added them.
    pub seq: u32,
    /// Lower-case state code, e.g. `be`.
    pub state: String,
    pub recipient_key_id: String,
    /// RFC 3339, UTC.
    pub created_at: DateTime<Utc>,
}

/// The sealed plaintext. Debug is redacted: text and files are personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowupDocument {
    /// Always [`SCHEMA`].
    pub schema: String,
    pub case_number: CaseNumber,
    pub seq: u32,
    pub created_at: DateTime<Utc>,
    /// What the citizen wrote; may be empty when they sent only files.
    pub text: String,
    pub files: Vec<FollowupFile>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowupFile {
    pub name: String,
    pub media_type: String,
    /// Bytes before base64.
    pub size: u64,
    /// Hex SHA-256 of the raw bytes.
    pub sha256: String,
    /// Standard base64 with padding.
    pub content: String,
}

impl std::fmt::Debug for FollowupDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowupDocument")
            .field("case_number", &self.case_number)
            .field("seq", &self.seq)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for FollowupFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FollowupFile")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl FollowupFile {
    /// A file with its digest and content computed from `bytes`.
    pub fn of(name: &str, media_type: &str, bytes: &[u8]) -> FollowupFile {
        FollowupFile {
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
            sha256: hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes)),
            content: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The raw bytes, if `content` is base64 and matches `sha256`.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.content)
            .ok()?;
        let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        (digest == self.sha256).then_some(bytes)
    }
}

/// The idempotency key of a follow-up delivery: `<case number>.<seq>`. Receipts bind it.
pub fn delivery_key(case_number: &CaseNumber, seq: u32) -> String {
    format!("{}.{seq}", case_number.as_str())
}

/// The case number and seq of a [`delivery_key`]; `None` for anything else (a report's key
/// is a bare case number).
pub fn parse_delivery_key(key: &str) -> Option<(CaseNumber, u32)> {
    let (case, seq) = key.trim().split_once('.')?;
    let case_number = CaseNumber::parse(case)
        .ok()
        .filter(|c| c.as_str() == case)?;
    let n: u32 = seq.parse().ok().filter(|s| *s >= 1)?;
    // Only the canonical spelling (no leading zeros, no sign) is a key.
    (n.to_string() == seq).then_some((case_number, n))
}

#[derive(Debug, thiserror::Error)]
pub enum FollowupOpenError {
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("the associated data is not follow-up metadata")]
    Metadata,
    #[error("the envelope belongs to {0}, not to the delivered case and sequence number")]
    Mismatch(&'static str),
    #[error("the content is not an internetwache.followup.v1 document")]
    Document,
}

impl FollowupDocument {
    /// Seals this document to `recipient`, the case number and seq in the associated data.
    pub fn seal(&self, recipient: &PolicePublicKey) -> Result<Envelope, CryptoError> {
        let state = self.case_number.state().to_ascii_lowercase();
        if !state.eq_ignore_ascii_case(&recipient.state) {
            return Err(CryptoError::MetadataMismatch("state".into()));
        }
        let meta = FollowupMetadata {
            schema: SCHEMA.into(),
            case_number: self.case_number.clone(),
            seq: self.seq,
            state,
            recipient_key_id: recipient.key_id.clone(),
            created_at: self.created_at,
        };
        let aad = serde_json::to_vec(&meta)
            .map_err(|_| CryptoError::MetadataMismatch("unserializable".into()))?;
        let plaintext = serde_json::to_vec(self)
            .map_err(|_| CryptoError::MetadataMismatch("unserializable".into()))?;
        Envelope::seal_raw(recipient, INFO, &aad, &plaintext)
    }
}

/// The metadata of a follow-up envelope, not yet verified.
pub fn metadata(envelope: &Envelope) -> Result<FollowupMetadata, FollowupOpenError> {
    let aad = envelope.aad_bytes()?;
    let meta: FollowupMetadata =
        serde_json::from_slice(&aad).map_err(|_| FollowupOpenError::Metadata)?;
    if meta.schema != SCHEMA || meta.recipient_key_id != envelope.key_id {
        return Err(FollowupOpenError::Metadata);
    }
    Ok(meta)
}

/// Opens a follow-up delivered as `(case_number, seq)`: the associated data must name exactly
/// these, and the sealed document must agree with it.
pub fn open(
    envelope: &Envelope,
    key: &PolicePrivateKey,
    case_number: &CaseNumber,
    seq: u32,
) -> Result<(FollowupMetadata, FollowupDocument), FollowupOpenError> {
    let meta = metadata(envelope)?;
    if &meta.case_number != case_number {
        return Err(FollowupOpenError::Mismatch("another case"));
    }
    if meta.seq != seq {
        return Err(FollowupOpenError::Mismatch("another sequence number"));
    }
    if key.key_id != envelope.key_id {
        return Err(CryptoError::WrongKeyId {
            envelope: envelope.key_id.clone(),
            key: key.key_id.clone(),
        }
        .into());
    }
    let plaintext = envelope.open_raw(key.secret(), INFO)?;
    let doc: FollowupDocument =
        serde_json::from_slice(&plaintext).map_err(|_| FollowupOpenError::Document)?;
    if doc.schema != SCHEMA
        || doc.case_number != meta.case_number
        || doc.seq != meta.seq
        || doc.created_at != meta.created_at
    {
        return Err(FollowupOpenError::Document);
    }
    Ok((meta, doc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::b64url_encode;

    fn keys(dir: &std::path::Path) -> (PolicePrivateKey, PolicePublicKey) {
        let generated = crate::crypto::keys::generate("be", dir).expect("key");
        let sk = crate::crypto::keys::load_private_key(&generated.private_path).expect("load");
        let pk = sk.public_key();
        (sk, pk)
    }

    fn doc(seq: u32) -> FollowupDocument {
        FollowupDocument {
            schema: SCHEMA.into(),
            case_number: CaseNumber::generate("be").expect("case number"),
            seq,
            created_at: Utc::now(),
            text: "Das Rad stand vor Haus 5.".into(),
            files: vec![FollowupFile::of("a.png", "image/png", b"\x89PNG....")],
        }
    }

    #[test]
    fn roundtrip_and_binding() {
        let dir = tempfile::tempdir().expect("tmp");
        let (sk, pk) = keys(dir.path());
        let d = doc(2);
        let env = d.seal(&pk).expect("seal");
        let (meta, back) = open(&env, &sk, &d.case_number, 2).expect("open");
        assert_eq!(back, d);
        assert_eq!(meta.seq, 2);
        assert_eq!(back.files[0].bytes().expect("bytes"), b"\x89PNG....");
        // Delivered under another seq or case: refused before opening.
        assert!(open(&env, &sk, &d.case_number, 3).is_err());
        let other = CaseNumber::generate("be").expect("case number");
        assert!(open(&env, &sk, &other, 2).is_err());
        // Metadata rewritten to name another seq: the AEAD refuses it.
        let mut m = meta.clone();
        m.seq = 3;
        let mut moved = env.clone();
        moved.aad = b64url_encode(&serde_json::to_vec(&m).expect("json"));
        assert!(matches!(
            open(&moved, &sk, &d.case_number, 3),
            Err(FollowupOpenError::Crypto(_))
        ));
        // A report envelope's opener does not take a follow-up.
        assert!(env.open(sk.secret()).is_err());
        assert!(!format!("{d:?}").contains("Haus"));
    }

    #[test]
    fn delivery_keys() {
        let c = CaseNumber::generate("be").expect("case number");
        let key = delivery_key(&c, 12);
        assert_eq!(parse_delivery_key(&key), Some((c.clone(), 12)));
        assert_eq!(parse_delivery_key(c.as_str()), None);
        assert_eq!(parse_delivery_key(&format!("{c}.0")), None);
        assert_eq!(parse_delivery_key(&format!("{c}.012")), None);
        assert_eq!(parse_delivery_key(&format!("{c}.+1")), None);
    }
}
