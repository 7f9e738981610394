//! HPKE (RFC 9180) base-mode sender built from `ring` only:
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
//!
//! `ring` has no static X25519 keys, which suits a sender: every seal uses a
//! fresh ephemeral key. The receiving side lives in `hpke_open` (the `hpke`
//! crate), so two independent implementations must agree.

use ring::aead::{self, LessSafeKey, UnboundKey, AES_256_GCM};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use super::CryptoError;

pub const KEM_ID: u16 = 0x0020;
pub const KDF_ID: u16 = 0x0001;
pub const AEAD_ID: u16 = 0x0002;
const MODE_BASE: u8 = 0x00;
const NH: usize = 32;
const NK: usize = 32;
const NN: usize = 12;

/// The result of a single-shot seal: the encapsulated ephemeral public key
/// and the AEAD ciphertext (with its 16-byte tag appended).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub enc: [u8; 32],
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// Single-shot HPKE base-mode seal to `pk_r` with a fresh ephemeral key.
pub fn seal(
    pk_r: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Sealed, CryptoError> {
    let rng = SystemRandom::new();
    let (enc, mut ctx) = setup_base_sender(&rng, pk_r, info)?;
    let ciphertext = ctx.seal(aad, plaintext)?;
    Ok(Sealed { enc, ciphertext })
}

fn kem_suite_id() -> [u8; 5] {
    let id = KEM_ID.to_be_bytes();
    [b'K', b'E', b'M', id[0], id[1]]
}

fn hpke_suite_id() -> [u8; 10] {
    let (k, d, a) = (
        KEM_ID.to_be_bytes(),
        KDF_ID.to_be_bytes(),
        AEAD_ID.to_be_bytes(),
    );
    [b'H', b'P', b'K', b'E', k[0], k[1], d[0], d[1], a[0], a[1]]
}

/// LabeledExtract(salt, label, ikm) = HMAC-SHA256(salt, "HPKE-v1" || suite_id || label || ikm).
/// An empty salt means Nh zero bytes (RFC 5869), which HMAC treats identically.
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> [u8; NH] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, salt);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(b"HPKE-v1");
    ctx.update(suite_id);
    ctx.update(label);
    ctx.update(ikm);
    let mut out = [0u8; NH];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L).
fn labeled_expand(
    suite_id: &[u8],
    prk: &[u8; NH],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    let len = u16::try_from(out.len())
        .map_err(|_| CryptoError::Seal)?
        .to_be_bytes();
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, prk);
    let parts: [&[u8]; 5] = [&len, b"HPKE-v1", suite_id, label, info];
    prk.expand(&parts, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| CryptoError::Seal)
}

/// Everything the key schedule derives; kept so the RFC vectors can check each step.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct KeySchedule {
    pub(crate) shared_secret: [u8; NH],
    pub(crate) key: [u8; NK],
    pub(crate) base_nonce: [u8; NN],
    pub(crate) exporter_secret: [u8; NH],
}

/// A sender context: one key, one base nonce, a sequence number per message.
pub(crate) struct SenderContext {
    key: LessSafeKey,
    base_nonce: [u8; NN],
    seq: u64,
    #[cfg(test)]
    pub(crate) schedule: KeySchedule,
}

impl SenderContext {
    /// Encrypts the next message; nonce = base_nonce XOR I2OSP(seq, Nn).
    pub(crate) fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = self.base_nonce;
        for (n, s) in nonce[NN - 8..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq = self.seq.checked_add(1).ok_or(CryptoError::MessageLimit)?;
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Seal)?;
        Ok(in_out)
    }
}

/// SetupBaseS: encapsulate to `pk_r` with an ephemeral key drawn from `rng`,
/// then run the key schedule. Returns `enc` and the sender context.
pub(crate) fn setup_base_sender(
    rng: &dyn SecureRandom,
    pk_r: &[u8; 32],
    info: &[u8],
) -> Result<([u8; 32], SenderContext), CryptoError> {
    let sk_e = EphemeralPrivateKey::generate(&X25519, rng).map_err(|_| CryptoError::Random)?;
    let pk_e = sk_e
        .compute_public_key()
        .map_err(|_| CryptoError::KeyAgreement)?;
    let mut enc = [0u8; 32];
    enc.copy_from_slice(pk_e.as_ref());

    // ring rejects an all-zero DH output (low-order peer key), as RFC 9180 requires.
    let peer = UnparsedPublicKey::new(&X25519, pk_r);
    let shared_secret =
        agreement::agree_ephemeral(sk_e, &peer, |dh| extract_and_expand(dh, &enc, pk_r))
            .map_err(|_| CryptoError::InvalidPublicKey)??;

    let schedule = key_schedule(shared_secret, info)?;
    let key = UnboundKey::new(&AES_256_GCM, &schedule.key).map_err(|_| CryptoError::Seal)?;
    let ctx = SenderContext {
        key: LessSafeKey::new(key),
        base_nonce: schedule.base_nonce,
        seq: 0,
        #[cfg(test)]
        schedule,
    };
    Ok((enc, ctx))
}

/// DHKEM ExtractAndExpand with kem_context = enc || pkR.
fn extract_and_expand(dh: &[u8], enc: &[u8; 32], pk_r: &[u8; 32]) -> Result<[u8; NH], CryptoError> {
    let suite = kem_suite_id();
    let eae_prk = labeled_extract(&suite, b"", b"eae_prk", dh);
    let mut kem_context = [0u8; 64];
    kem_context[..32].copy_from_slice(enc);
    kem_context[32..].copy_from_slice(pk_r);
    let mut shared_secret = [0u8; NH];
    labeled_expand(
        &suite,
        &eae_prk,
        b"shared_secret",
        &kem_context,
        &mut shared_secret,
    )?;
    Ok(shared_secret)
}

/// KeySchedule for mode_base (empty psk and psk_id).
fn key_schedule(shared_secret: [u8; NH], info: &[u8]) -> Result<KeySchedule, CryptoError> {
    let suite = hpke_suite_id();
    let psk_id_hash = labeled_extract(&suite, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(&suite, b"", b"info_hash", info);
    let mut context = [0u8; 1 + 2 * NH];
    context[0] = MODE_BASE;
    context[1..1 + NH].copy_from_slice(&psk_id_hash);
    context[1 + NH..].copy_from_slice(&info_hash);
    let secret = labeled_extract(&suite, &shared_secret, b"secret", b"");

    let mut key = [0u8; NK];
    let mut base_nonce = [0u8; NN];
    let mut exporter_secret = [0u8; NH];
    labeled_expand(&suite, &secret, b"key", &context, &mut key)?;
    labeled_expand(&suite, &secret, b"base_nonce", &context, &mut base_nonce)?;
    labeled_expand(&suite, &secret, b"exp", &context, &mut exporter_secret)?;
    Ok(KeySchedule {
        shared_secret,
        key,
        base_nonce,
        exporter_secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vector {
        mode: u8,
        kem_id: u16,
        kdf_id: u16,
        aead_id: u16,
        info: String,
        #[serde(rename = "skEm")]
        sk_em: String,
        #[serde(rename = "pkEm")]
        pk_em: String,
        #[serde(rename = "pkRm")]
        pk_rm: String,
        #[serde(rename = "skRm")]
        sk_rm: String,
        enc: String,
        shared_secret: String,
        key: String,
        base_nonce: String,
        exporter_secret: String,
        encryptions: Vec<Encryption>,
    }

    #[derive(Deserialize)]
    struct Encryption {
        aad: String,
        ct: String,
        nonce: String,
        pt: String,
    }

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).expect("hex in test vector")
    }

    /// The AES-256-GCM entry of `shared/testdata/hpke/rfc9180-base-x25519-sha256.json` (the
    /// official RFC 9180 vectors), kept in the repository so a clone tests on its own.
    fn vector() -> Vector {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/rfc9180-base-x25519-sha256-aes256gcm.json");
        let text = std::fs::read_to_string(&path).expect("RFC 9180 vector file");
        let all: Vec<Vector> = serde_json::from_str(&text).expect("vector JSON");
        all.into_iter()
            .find(|v| {
                v.mode == 0 && v.kem_id == KEM_ID && v.kdf_id == KDF_ID && v.aead_id == AEAD_ID
            })
            .expect("base-mode AES-256-GCM vector")
    }

    #[test]
    #[allow(deprecated)] // ring's fixed RNG is a hidden test-only API
    fn rfc9180_known_answer_aes256gcm() {
        let v = vector();
        let sk_e = h(&v.sk_em);
        let rng = ring::test::rand::FixedSliceRandom { bytes: &sk_e };
        let pk_r: [u8; 32] = h(&v.pk_rm).try_into().expect("32-byte pkR");

        let (enc, mut ctx) = setup_base_sender(&rng, &pk_r, &h(&v.info)).expect("setup");
        assert_eq!(enc.to_vec(), h(&v.enc), "enc");
        assert_eq!(enc.to_vec(), h(&v.pk_em), "pkEm");
        let s = &ctx.schedule;
        assert_eq!(
            s.shared_secret.to_vec(),
            h(&v.shared_secret),
            "shared_secret"
        );
        assert_eq!(s.key.to_vec(), h(&v.key), "key");
        assert_eq!(s.base_nonce.to_vec(), h(&v.base_nonce), "base_nonce");
        assert_eq!(
            s.exporter_secret.to_vec(),
            h(&v.exporter_secret),
            "exporter_secret"
        );
        let base_nonce = s.base_nonce;

        let mut checked = 0;
        for (seq, e) in v.encryptions.iter().enumerate() {
            let mut nonce = base_nonce;
            for (n, b) in nonce[4..].iter_mut().zip((seq as u64).to_be_bytes()) {
                *n ^= b;
            }
            assert_eq!(nonce.to_vec(), h(&e.nonce), "nonce {seq}");
            let ct = ctx.seal(&h(&e.aad), &h(&e.pt)).expect("seal");
            assert_eq!(ct, h(&e.ct), "ciphertext {seq}");
            checked += 1;
        }
        assert_eq!(checked, 257);
        println!("RFC 9180 vectors, base mode, X25519/HKDF-SHA256/AES-256-GCM: {checked}/{} ciphertexts matched", v.encryptions.len());

        // The independent receiver agrees on the first message.
        let sk_r: [u8; 32] = h(&v.sk_rm).try_into().expect("32-byte skR");
        let first = &v.encryptions[0];
        let pt =
            super::super::hpke_open::open(&sk_r, &enc, &h(&v.info), &h(&first.aad), &h(&first.ct))
                .expect("hpke crate opens the vector");
        assert_eq!(pt, h(&first.pt));
    }

    #[test]
    fn fresh_ephemeral_key_per_seal() {
        let (_, pk) = super::super::hpke_open::generate_keypair().expect("keypair");
        let a = seal(&pk, b"i", b"a", b"same").expect("seal");
        let b = seal(&pk, b"i", b"a", b"same").expect("seal");
        assert_ne!(a.enc, b.enc);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn low_order_public_key_is_rejected() {
        // The all-zero point yields an all-zero DH output.
        assert!(seal(&[0u8; 32], b"", b"", b"x").is_err());
    }
}
