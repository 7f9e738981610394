//! The secret that opens one draft. It lives only in the citizen's cookie (and, later, in a
//! resume link's URL fragment); the server derives from it, per request, the id that finds
//! the row and the key that seals it, and keeps neither the secret nor the key.
//!
//! - row id: hex SHA-256 of `"internetwache/draft-id/v1" || secret`;
//! - AEAD key: HKDF-SHA256(ikm = secret, salt = none, info = `"internetwache/draft-key/v1"`);
//! - blob: `0x02 || nonce (12) || AES-256-GCM ciphertext+tag`, associated data = version
//!   byte || row id, so a blob cannot be moved to another row.
//! - evidence file (`draft_files`): the same blob format and key, associated data =
//!   `"internetwache/draft-file/v1" || row id || 0x00 || file id`, so a file cannot be moved
//!   to another draft or swapped with another file of the same draft.

use ring::aead::{self, LessSafeKey, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

use super::{b64url_decode, b64url_encode, CryptoError};

const SECRET_BYTES: usize = 32;
const BLOB_VERSION: u8 = 2;
/// Crockford's base32 alphabet: no I, L, O or U to mistake.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// ceil(256 / 5).
const TYPEABLE_SYMBOLS: usize = 52;
const ID_LABEL: &[u8] = b"internetwache/draft-id/v1";
const KEY_LABEL: &[u8] = b"internetwache/draft-key/v1";
const FILE_LABEL: &[u8] = b"internetwache/draft-file/v1";

/// 256 random bits; Debug never shows them.
#[derive(Clone)]
pub struct DraftSecret([u8; SECRET_BYTES]);

impl std::fmt::Debug for DraftSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DraftSecret(<redacted>)")
    }
}

impl DraftSecret {
    pub fn generate() -> Result<DraftSecret, CryptoError> {
        let mut bytes = [0u8; SECRET_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| CryptoError::Random)?;
        Ok(DraftSecret(bytes))
    }

    /// From the cookie value (base64url, 43 characters); `None` for anything else.
    pub fn parse(encoded: &str) -> Option<DraftSecret> {
        let bytes = b64url_decode(encoded.trim())?;
        <[u8; SECRET_BYTES]>::try_from(bytes).ok().map(DraftSecret)
    }

    /// What the cookie (or a resume link's fragment) carries. Handle like a password.
    pub fn encoded(&self) -> String {
        b64url_encode(&self.0)
    }

    /// The same secret as a code a person can type from a printed e-mail: Crockford
    /// base32 (no I, L, O, U), 52 symbols in groups of four. Handle like a password.
    pub fn typeable(&self) -> String {
        let mut symbols = String::with_capacity(TYPEABLE_SYMBOLS + TYPEABLE_SYMBOLS / 4);
        // 256 bits read as 52 five-bit symbols; the last symbol carries one bit and zeros.
        for i in 0..TYPEABLE_SYMBOLS {
            if i > 0 && i % 4 == 0 {
                symbols.push('-');
            }
            let mut v = 0u8;
            for bit in i * 5..i * 5 + 5 {
                let set = bit < SECRET_BYTES * 8 && self.0[bit / 8] & (0x80 >> (bit % 8)) != 0;
                v = (v << 1) | u8::from(set);
            }
            symbols.push(CROCKFORD[usize::from(v)] as char);
        }
        symbols
    }

    /// From the code [`typeable`](Self::typeable) prints, or from the cookie form. Spaces
    /// and dashes are ignored, case too; O reads as 0, I and L as 1. `None` otherwise.
    pub fn parse_any(input: &str) -> Option<DraftSecret> {
        if let Some(secret) = DraftSecret::parse(input) {
            return Some(secret);
        }
        let symbols: Vec<u8> = input
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'-' | b'\t'))
            .map(|b| match b.to_ascii_uppercase() {
                b'O' => b'0',
                b'I' | b'L' => b'1',
                other => other,
            })
            .collect();
        if symbols.len() != TYPEABLE_SYMBOLS {
            return None;
        }
        let mut bytes = [0u8; SECRET_BYTES];
        for (i, symbol) in symbols.iter().enumerate() {
            let v = CROCKFORD.iter().position(|c| c == symbol)?;
            for k in 0..5 {
                let bit = i * 5 + k;
                let set = v & (0x10 >> k) != 0;
                if bit >= SECRET_BYTES * 8 {
                    // The padding bits must be zero, so each secret has exactly one code.
                    if set {
                        return None;
                    }
                } else if set {
                    bytes[bit / 8] |= 0x80 >> (bit % 8);
                }
            }
        }
        Some(DraftSecret(bytes))
    }

    /// The id of the draft's row: finds it, opens nothing.
    pub fn row_id(&self) -> String {
        hex::encode(super::sha256(&[ID_LABEL, &self.0[..]].concat()))
    }

    fn key(&self) -> Result<LessSafeKey, CryptoError> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(&self.0);
        let mut key = [0u8; 32];
        prk.expand(&[KEY_LABEL], &AES_256_GCM)
            .and_then(|okm| okm.fill(&mut key))
            .map_err(|_| CryptoError::Seal)?;
        UnboundKey::new(&AES_256_GCM, &key)
            .map(LessSafeKey::new)
            .map_err(|_| CryptoError::Seal)
    }

    fn aad(&self) -> Vec<u8> {
        let mut aad = vec![BLOB_VERSION];
        aad.extend_from_slice(self.row_id().as_bytes());
        aad
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CryptoError::Random)?;
        let mut in_out = plaintext.to_vec();
        self.key()?
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(self.aad()),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut blob = vec![BLOB_VERSION];
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&in_out);
        Ok(blob)
    }

    fn file_aad(&self, file_id: &str) -> Vec<u8> {
        [
            FILE_LABEL,
            self.row_id().as_bytes(),
            &[0],
            file_id.as_bytes(),
        ]
        .concat()
    }

    /// Seals one evidence file of this draft, bound to its id. Takes the bytes by value:
    /// they are copied once, into the blob.
    pub fn seal_file(&self, file_id: &str, plaintext: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CryptoError::Random)?;
        let header = 1 + NONCE_LEN;
        let mut blob = Vec::with_capacity(header + plaintext.len() + AES_256_GCM.tag_len());
        blob.push(BLOB_VERSION);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&plaintext);
        drop(plaintext);
        let tag = self
            .key()?
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(self.file_aad(file_id)),
                &mut blob[header..],
            )
            .map_err(|_| CryptoError::Seal)?;
        blob.extend_from_slice(tag.as_ref());
        Ok(blob)
    }

    /// Opens a blob of [`seal_file`](Self::seal_file) in place.
    pub fn open_file(&self, file_id: &str, mut blob: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        let header = 1 + NONCE_LEN;
        if blob.first() != Some(&BLOB_VERSION) || blob.len() < header + AES_256_GCM.tag_len() {
            return Err(CryptoError::MalformedBlob);
        }
        let nonce = aead::Nonce::try_assume_unique_for_key(&blob[1..header])
            .map_err(|_| CryptoError::MalformedBlob)?;
        let len = self
            .key()?
            .open_within(
                nonce,
                aead::Aad::from(self.file_aad(file_id)),
                &mut blob,
                header..,
            )
            .map_err(|_| CryptoError::Open)?
            .len();
        blob.truncate(len);
        Ok(blob)
    }

    pub fn open(&self, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (&version, rest) = blob.split_first().ok_or(CryptoError::MalformedBlob)?;
        if version != BLOB_VERSION || rest.len() < NONCE_LEN + 16 {
            return Err(CryptoError::MalformedBlob);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| CryptoError::MalformedBlob)?;
        let mut in_out = ciphertext.to_vec();
        let plain = self
            .key()?
            .open_in_place(nonce, aead::Aad::from(self.aad()), &mut in_out)
            .map_err(|_| CryptoError::Open)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_secret_opens() {
        let secret = DraftSecret::generate().unwrap();
        let blob = secret.seal(b"answers").unwrap();
        assert_eq!(secret.open(&blob).unwrap(), b"answers");
        let again = DraftSecret::parse(&secret.encoded()).unwrap();
        assert_eq!(again.row_id(), secret.row_id());
        assert_eq!(again.open(&blob).unwrap(), b"answers");
        let other = DraftSecret::generate().unwrap();
        assert!(other.open(&blob).is_err());
        for i in 0..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 1;
            assert!(secret.open(&t).is_err(), "byte {i} accepted");
        }
    }

    #[test]
    fn a_file_opens_only_under_its_draft_and_id() {
        let secret = DraftSecret::generate().unwrap();
        let png = vec![7u8; 3000];
        let blob = secret.seal_file("f1", png.clone()).unwrap();
        assert_eq!(secret.open_file("f1", blob.clone()).unwrap(), png);
        assert!(
            secret.open_file("f2", blob.clone()).is_err(),
            "another file id"
        );
        let other = DraftSecret::generate().unwrap();
        assert!(
            other.open_file("f1", blob.clone()).is_err(),
            "another draft"
        );
        assert!(secret.open(&blob).is_err(), "not a payload");
        for i in [0, 1, 13, blob.len() - 1] {
            let mut t = blob.clone();
            t[i] ^= 1;
            assert!(secret.open_file("f1", t).is_err(), "byte {i} accepted");
        }
        assert!(secret.open_file("f1", blob[..20].to_vec()).is_err());
    }

    #[test]
    fn row_id_reveals_neither_secret_nor_key() {
        let secret = DraftSecret::generate().unwrap();
        let id = secret.row_id();
        assert_eq!(id.len(), 64);
        assert!(!id.contains(&hex::encode(secret.0)));
        // The id is not the plain hash of the cookie either (labelled).
        assert_ne!(id, super::super::token_hash(&secret.encoded()));
        assert!(!format!("{secret:?}").contains(&secret.encoded()));
    }

    #[test]
    fn typeable_code_decodes_to_the_same_secret() {
        for _ in 0..50 {
            let secret = DraftSecret::generate().unwrap();
            let code = secret.typeable();
            assert_eq!(code.len(), 52 + 12);
            let back = DraftSecret::parse_any(&code.to_lowercase().replace('-', " ")).unwrap();
            assert_eq!(back.0, secret.0);
            assert_eq!(
                DraftSecret::parse_any(&secret.encoded()).unwrap().0,
                secret.0
            );
        }
        let secret = DraftSecret::generate().unwrap();
        let mut code = secret.typeable();
        code.pop();
        assert!(DraftSecret::parse_any(&code).is_none());
        assert!(
            DraftSecret::parse_any(&format!("{code}Z")).is_none(),
            "padding bits set"
        );
        assert!(!format!("{secret:?}").contains(&secret.typeable()));
    }

    #[test]
    fn parse_refuses_what_is_not_256_bits() {
        assert!(DraftSecret::parse("").is_none());
        assert!(DraftSecret::parse("abc").is_none());
        assert!(DraftSecret::parse(&b64url_encode(&[0u8; 16])).is_none());
        assert!(DraftSecret::parse(&b64url_encode(&[0u8; 32])).is_some());
    }
}
