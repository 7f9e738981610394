//! Receipts for pulled reports: `delivery::receipt` (HMAC-SHA256 under the state's receipt
//! secret over the case number and the exact envelope bytes), the same check push
//! delivery uses. A valid receipt marks the report delivered and its delivery job done.
//!
//! The secret: a push state's configured `secret`; otherwise the one generated under
//! `DATA_DIR/keys/<state>.receipt-secret` (the police side gets a copy of that file).

use std::path::PathBuf;

use chrono::Utc;

use crate::config::{DeliverySetting, Settings};
use crate::delivery::receipt;
use crate::store::reports::ReportRow;
use crate::store::{reports, staff as store_staff, Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("the receipt does not match this report's envelope")]
    Invalid,
    #[error("the receipt secret is not available: {0}")]
    Secret(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a state's generated receipt secret lives.
pub fn secret_path(settings: &Settings, state: &str) -> PathBuf {
    settings
        .data_dir
        .join("keys")
        .join(format!("{}.receipt-secret", state.to_ascii_lowercase()))
}

pub fn secret_for(settings: &Settings, state: &str) -> Result<Vec<u8>, ReceiptError> {
    if let Some(DeliverySetting::Push { secret, .. }) = settings
        .police
        .get(&state.to_ascii_lowercase())
        .map(|p| &p.delivery)
    {
        return Ok(secret.as_bytes().to_vec());
    }
    if state.is_empty() || !state.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(ReceiptError::Secret("invalid state".into()));
    }
    crate::crypto::secret_file::load_or_create(&secret_path(settings, state))
        .map_err(|e| ReceiptError::Secret(e.to_string()))
}

/// Checks `receipt` against the stored envelope; on success records the delivery.
/// Returns false when the report had been delivered before (repeating is harmless).
pub async fn accept(
    db: &Db,
    settings: &Settings,
    report: &ReportRow,
    receipt_text: &str,
) -> Result<bool, ReceiptError> {
    let envelope = reports::envelope(db, report.id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("report without envelope".into()))?;
    let secret = secret_for(settings, &report.state)?;
    if !receipt::verify(
        &secret,
        &report.case_number,
        envelope.as_bytes(),
        receipt_text,
    ) {
        return Err(ReceiptError::Invalid);
    }
    Ok(store_staff::record_delivery(db, report.id, Utc::now()).await?)
}
