//! HPKE receiving side, deliberately a second implementation: the `hpke`
//! crate opens what the `ring` sender in `hpke_seal` sealed.

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, Serializable};
use ring::rand::{SecureRandom, SystemRandom};

use super::CryptoError;

type PrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;
type EncappedKey = <X25519HkdfSha256 as Kem>::EncappedKey;

/// Opens a single-shot base-mode HPKE ciphertext (first message of the context).
pub fn open(
    sk_r: &[u8; 32],
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let sk = PrivateKey::from_bytes(sk_r).map_err(|_| CryptoError::InvalidPrivateKey)?;
    let enc = EncappedKey::from_bytes(enc).map_err(|_| CryptoError::Open)?;
    hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk,
        &enc,
        info,
        ciphertext,
        aad,
    )
    .map_err(|_| CryptoError::Open)
}

/// A new X25519 key pair `(secret, public)`: DeriveKeyPair (RFC 9180 §7.1.3)
/// over 32 bytes from the system CSPRNG.
pub fn generate_keypair() -> Result<([u8; 32], [u8; 32]), CryptoError> {
    let mut ikm = [0u8; 32];
    SystemRandom::new()
        .fill(&mut ikm)
        .map_err(|_| CryptoError::Random)?;
    let (sk, pk) = X25519HkdfSha256::derive_keypair(&ikm);
    ikm.fill(0);
    let mut secret = [0u8; 32];
    let mut public = [0u8; 32];
    secret.copy_from_slice(&sk.to_bytes());
    public.copy_from_slice(&pk.to_bytes());
    Ok((secret, public))
}

/// The X25519 public key belonging to `secret`.
pub fn public_key_of(secret: &[u8; 32]) -> Result<[u8; 32], CryptoError> {
    let sk = PrivateKey::from_bytes(secret).map_err(|_| CryptoError::InvalidPrivateKey)?;
    let mut public = [0u8; 32];
    public.copy_from_slice(&X25519HkdfSha256::sk_to_pk(&sk).to_bytes());
    Ok(public)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hpke_seal::seal;

    #[test]
    fn ring_sender_and_hpke_receiver_agree() {
        let (sk, pk) = generate_keypair().expect("keypair");
        assert_eq!(public_key_of(&sk).expect("pk"), pk);
        let sealed = seal(&pk, b"info", b"aad", b"hello police").expect("seal");
        let pt = open(&sk, &sealed.enc, b"info", b"aad", &sealed.ciphertext).expect("open");
        assert_eq!(pt, b"hello police");
        assert!(open(&sk, &sealed.enc, b"other", b"aad", &sealed.ciphertext).is_err());
        let (other_sk, _) = generate_keypair().expect("keypair");
        assert!(open(&other_sk, &sealed.enc, b"info", b"aad", &sealed.ciphertext).is_err());
    }
}
