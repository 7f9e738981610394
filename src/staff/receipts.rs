//! Receipts for pulled reports: `delivery::receipt` (HMAC-SHA256 under the state's receipt
//! secret over the case number and the exact envelope bytes), the same check push
//! delivery uses. A valid receipt marks the report delivered and its delivery job done.
//!
//! The secret comes from `delivery::Targets`: the state's configured push `secret` or pull
//! `receipt_secret`, otherwise the one generated under `DATA_DIR/keys/<state>.receipt-secret`
//! (the police side gets a copy of that file).

use std::path::PathBuf;

use crate::config::Settings;
use crate::crypto::audit_chain::AuditKey;
use crate::delivery::targets::TargetError;
use crate::delivery::{accept_receipt, DeliveryError, Parcel, Targets};
use crate::store::reports::ReportRow;
use crate::store::{Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("the receipt does not match this report's envelope")]
    Invalid,
    #[error("the state's receipt secret is unavailable")]
    Secret(#[from] TargetError),
    #[error("the receipt cannot be checked")]
    Check(#[source] DeliveryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a state's generated receipt secret lives (as `delivery::Targets` creates it).
pub fn secret_path(settings: &Settings, state: &str) -> PathBuf {
    settings
        .data_dir
        .join("keys")
        .join(format!("{}.receipt-secret", state.to_ascii_lowercase()))
}

/// The state's receipt secret: configured, or generated on first use.
pub fn secret_for(settings: &Settings, state: &str) -> Result<Vec<u8>, ReceiptError> {
    Targets::from_settings(settings)
        .for_state(state)
        .map(|t| t.secret().to_vec())
        .map_err(ReceiptError::Secret)
}

/// Checks `receipt` against the stored envelope with `delivery::accept_receipt` (the same
/// check push delivery uses); on success the report is delivered and its job done.
/// Returns false when the report had been delivered before (repeating is harmless).
/// The audit entry (`actor`, receipt) commits in the same transaction, or neither does.
pub async fn accept(
    db: &Db,
    settings: &Settings,
    report: &ReportRow,
    receipt_text: &str,
    audit_key: &AuditKey,
    actor: &str,
) -> Result<bool, ReceiptError> {
    let targets = Targets::from_settings(settings);
    let audit = super::audited(
        audit_key,
        actor,
        super::action::RECEIPT,
        Some(report.state.as_str()),
        Some(report.case_number.as_str()),
    );
    match accept_receipt(
        db,
        &targets,
        Parcel::Report,
        report.id,
        receipt_text,
        Some(&audit),
    )
    .await
    {
        Ok(first) => Ok(first),
        Err(DeliveryError::InvalidReceipt) => Err(ReceiptError::Invalid),
        Err(DeliveryError::Store(e)) => Err(ReceiptError::Store(e)),
        Err(e) => Err(ReceiptError::Check(e)),
    }
}
