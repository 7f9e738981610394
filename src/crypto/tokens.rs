//! Unguessable random tokens (draft cookies, pull-API tokens) and their
//! hashes: only `token_hash` is ever stored.

use ring::rand::{SecureRandom, SystemRandom};

use super::CryptoError;

pub const TOKEN_BYTES: usize = 32;

/// 32 bytes from the system CSPRNG, base64url without padding (43 characters).
pub fn generate_token() -> Result<String, CryptoError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CryptoError::Random)?;
    Ok(super::b64url_encode(&bytes))
}

/// SHA-256 of the token's UTF-8 bytes, lower-case hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(super::sha256(token.as_bytes()))
}

/// Compares without an early exit on the first differing byte. Lengths are
/// not secret (callers compare fixed-length hashes).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = generate_token().expect("token");
        let b = generate_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
