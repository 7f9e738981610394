//! The two HMAC-SHA256 codes of a push delivery (see the README's delivery protocol):
//! the request signature (ours, so the police can trust the sender) and the receipt
//! (theirs, so we can trust that the exact envelope arrived).

use ring::hmac;

/// Version prefix of signatures and receipts.
pub const V1: &str = "v1=";

/// Header names of a push request.
pub const HEADER_IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const HEADER_TIMESTAMP: &str = "X-Internetwache-Timestamp";
pub const HEADER_SIGNATURE: &str = "X-Internetwache-Signature";

/// How far a request timestamp may be from the receiver's clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Hex SHA-256 of the exact envelope bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// The bytes a receipt authenticates: `case_number + "\n" + sha256_hex(envelope bytes)`.
pub fn receipt_message(case_number: &str, envelope: &[u8]) -> String {
    format!("{case_number}\n{}", sha256_hex(envelope))
}

/// `v1=<hex HMAC-SHA256(secret, receipt_message)>`.
pub fn compute(secret: &[u8], case_number: &str, envelope: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, receipt_message(case_number, envelope).as_bytes());
    format!("{V1}{}", hex::encode(tag.as_ref()))
}

/// Whether `receipt` proves that `envelope` for `case_number` arrived (constant time).
pub fn verify(secret: &[u8], case_number: &str, envelope: &[u8], receipt: &str) -> bool {
    verify_v1(
        secret,
        receipt_message(case_number, envelope).as_bytes(),
        receipt,
    )
}

/// Whether `signed` is `v1=<hex HMAC-SHA256(secret, message)>` (constant time).
fn verify_v1(secret: &[u8], message: &[u8], signed: &str) -> bool {
    let Some(tag) = signed
        .trim()
        .strip_prefix(V1)
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    hmac::verify(&key, message, &tag).is_ok()
}

/// `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>` for the signature header.
pub fn sign_request(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!("{V1}{}", hex::encode(ctx.sign().as_ref()))
}

/// Checks a request signature (constant time) and that the timestamp is fresh.
pub fn verify_request(
    secret: &[u8],
    timestamp: &str,
    body: &[u8],
    signature: &str,
    now_unix: i64,
) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now_unix - ts).abs() > MAX_CLOCK_SKEW_SECS {
        return false;
    }
    let mut message = format!("{ts}.").into_bytes();
    message.extend_from_slice(body);
    verify_v1(secret, &message, signature)
}

/// The JSON body of a receipt response: `{"receipt":"v1=..."}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReceiptBody {
    pub receipt: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_binds_case_number_and_exact_bytes() {
        let r = compute(b"secret", "BE-1", b"{\"a\":1}");
        assert!(verify(b"secret", "BE-1", b"{\"a\":1}", &r));
        assert!(!verify(b"secret", "BE-2", b"{\"a\":1}", &r));
        assert!(!verify(b"secret", "BE-1", b"{\"a\": 1}", &r));
        assert!(!verify(b"other", "BE-1", b"{\"a\":1}", &r));
        assert!(!verify(b"secret", "BE-1", b"{\"a\":1}", "v1=00"));
        assert!(!verify(b"secret", "BE-1", b"{\"a\":1}", ""));
    }

    /// The worked example of the README's delivery protocol, computed independently (Python hmac).
    #[test]
    fn documented_example_holds() {
        let body = br#"{"version":1,"suite":"DHKEM(X25519, HKDF-SHA256)/HKDF-SHA256/AES-256-GCM","key_id":"be-2026-01-01-0a1b2c3d","aad":"e30","enc":"AAAA","ciphertext":"AAAA"}"#;
        assert_eq!(
            sign_request(b"test-secret", 1767225600, body),
            "v1=80569ccb8cf97c7cac9534caab41e41dcc953b4410cc26a6f7a5795c697a3231"
        );
        assert_eq!(
            sha256_hex(body),
            "40656229df513b1049f585fe75a470df0fee59a877e3045a2677c0b00b411e25"
        );
        assert_eq!(
            compute(b"test-secret", "BE-K7M3-Q9XD-R2HP-7", body),
            "v1=e1a594a2a1f682a52085f895abbdc4381106ccd4336fc92915aaffaf0132ecc0"
        );
    }

    #[test]
    fn request_signature_and_freshness() {
        let sig = sign_request(b"s", 1000, b"body");
        assert!(verify_request(b"s", "1000", b"body", &sig, 1100));
        assert!(!verify_request(b"s", "1000", b"body", &sig, 1000 + 301));
        assert!(!verify_request(b"s", "1000", b"bodx", &sig, 1000));
        assert!(!verify_request(b"t", "1000", b"body", &sig, 1000));
        assert!(!verify_request(b"s", "1001", b"body", &sig, 1000));
    }
}
