//! Push delivery: one signed HTTPS POST of the stored envelope, answered by a receipt.

use std::time::Duration;

use super::receipt::{self, ReceiptBody};

/// Why a push attempt did not deliver. Messages carry no report data.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The error carries no URL (`without_url`): the endpoint is configuration, not news.
    #[error("police endpoint unreachable or no answer")]
    Transport(#[source] reqwest::Error),
    #[error("police endpoint answered HTTP {0}")]
    Status(u16),
    #[error("police endpoint answered without a receipt")]
    NoReceipt,
    #[error("police endpoint answered with an invalid receipt")]
    BadReceipt,
}

/// A client for pushes; redirects are not followed (a receipt must come from the endpoint).
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("internetwache/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("static HTTP client configuration is valid")
}

/// POSTs `envelope` (the exact stored JSON) and returns the verified receipt. `key` is the
/// Idempotency-Key: a report's case number, or a follow-up's `<case number>.<seq>`.
pub async fn push(
    client: &reqwest::Client,
    url: &str,
    secret: &[u8],
    key: &str,
    envelope: &str,
    now_unix: i64,
) -> Result<String, PushError> {
    let body = envelope.as_bytes().to_vec();
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(receipt::HEADER_IDEMPOTENCY_KEY, key)
        .header(receipt::HEADER_TIMESTAMP, now_unix.to_string())
        .header(
            receipt::HEADER_SIGNATURE,
            receipt::sign_request(secret, now_unix, &body),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| PushError::Transport(e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(PushError::Status(status.as_u16()));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| PushError::Transport(e.without_url()))?;
    let answer: ReceiptBody = serde_json::from_slice(&bytes).map_err(|_| PushError::NoReceipt)?;
    if receipt::verify(secret, key, envelope.as_bytes(), &answer.receipt) {
        Ok(answer.receipt)
    } else {
        Err(PushError::BadReceipt)
    }
}
