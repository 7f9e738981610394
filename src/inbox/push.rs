//! The push endpoint of the delivery protocol (README "Delivery protocol"): signature and
//! timestamp window first, then the receiver stores the envelope, and only then the receipt
//! bound to the envelope's hash is answered. `police-sim` calls the same functions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::receiver::{Accepted, ReceiveError, Receiver, Via};
use crate::delivery::receipt::{self, ReceiptBody};

/// The three protocol headers of one push request.
#[derive(Debug, Clone, Default)]
pub struct PushHeaders {
    pub idempotency_key: String,
    pub timestamp: String,
    pub signature: String,
}

impl PushHeaders {
    pub fn of(req: &HttpRequest) -> PushHeaders {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .trim()
                .to_string()
        };
        PushHeaders {
            idempotency_key: header(receipt::HEADER_IDEMPOTENCY_KEY),
            timestamp: header(receipt::HEADER_TIMESTAMP),
            signature: header(receipt::HEADER_SIGNATURE),
        }
    }

    /// The lower-case state the case number in the Idempotency-Key starts with (a
    /// follow-up's key `<case number>.<seq>` starts the same way).
    pub fn state(&self) -> Option<String> {
        let prefix = self.idempotency_key.get(..2)?;
        prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase())
            .then(|| prefix.to_ascii_lowercase())
    }

    /// Signature valid and timestamp within the window (constant-time compare).
    pub fn authentic(&self, secret: &[u8], body: &[u8]) -> bool {
        receipt::verify_request(
            secret,
            &self.timestamp,
            body,
            &self.signature,
            chrono::Utc::now().timestamp(),
        )
    }
}

/// Stores an authenticated push and computes its receipt; call only after `authentic`.
pub async fn accept(
    receiver: &Receiver,
    secret: &[u8],
    headers: &PushHeaders,
    body: &[u8],
) -> Result<(Accepted, ReceiptBody), ReceiveError> {
    let accepted = receiver
        .receive(
            &headers.idempotency_key,
            body,
            Via::Push,
            chrono::Utc::now(),
        )
        .await?;
    let receipt = receipt::compute(secret, &accepted.receipt_key, body);
    Ok((accepted, ReceiptBody { receipt }))
}

/// 401 problem+json for a bad signature, stale timestamp or unknown state.
pub fn unauthorized() -> HttpResponse {
    problem(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Signature invalid",
        "The request signature does not verify, the timestamp is outside the window, or the state is not served here.".into(),
    )
}

/// The answer to a failed `accept`.
pub fn error_response(error: &ReceiveError) -> HttpResponse {
    match error {
        ReceiveError::Malformed(detail) => problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail.clone(),
        ),
        ReceiveError::Conflict(_) => problem(
            StatusCode::CONFLICT,
            "conflict",
            "Different envelope for a stored case number",
            "Another envelope was stored under this case number before; it is kept and this one is refused.".into(),
        ),
        ReceiveError::Store(e) => {
            tracing::error!(error = %e, "cannot store a received envelope");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The inbox database is not available; retry later.".into(),
            )
        }
    }
}

/// Problem types share the intake API's base, so both sides' errors read alike.
pub const PROBLEM_BASE: &str = "https://internetwache.invalid/problems/";

/// An RFC 7807 `application/problem+json` answer; `detail` never carries personal data.
pub fn problem(status: StatusCode, slug: &str, title: &str, detail: String) -> HttpResponse {
    let body = serde_json::json!({
        "type": format!("{PROBLEM_BASE}{slug}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}
