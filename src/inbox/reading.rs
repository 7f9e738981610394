//! A clerk reads a report: the envelope is opened only now, with the key held in memory,
//! and every view is audited. A copy of the database without the key files shows only the
//! triage index.

use chrono::Utc;

use super::opening::{self, OpenedReport, Unreadable};
use super::receiver::Receiver;
use crate::crypto::Envelope;
use crate::store::inbox as store;
use crate::store::StoreError;

pub const ACTION_VIEW: &str = "inbox_view";

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("no such report")]
    NotFound,
    /// Retention deleted the sealed envelope; only the index is left.
    #[error("Umschlag gelöscht (Aufbewahrungsfrist) / envelope deleted (retention period)")]
    EnvelopeDeleted,
    #[error("nicht lesbar: {0}")]
    Unreadable(#[from] Unreadable),
    #[error("the inbox database is not available: {0}")]
    Store(#[from] StoreError),
}

/// Opens the report of `case_number` for `clerk` and records the view in the audit log.
pub async fn view(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
) -> Result<OpenedReport, ReadError> {
    let row = store::get(receiver.db(), case_number)
        .await?
        .ok_or(ReadError::NotFound)?;
    if row.envelope_deleted_at.is_some() {
        return Err(ReadError::EnvelopeDeleted);
    }
    let text = store::envelope(receiver.db(), case_number)
        .await?
        .ok_or(ReadError::NotFound)?;
    receiver
        .audit_as(clerk, ACTION_VIEW, &row.state, case_number, Utc::now())
        .await?;
    let envelope = Envelope::from_json(&text).map_err(|e| Unreadable(e.to_string()))?;
    Ok(opening::open(receiver.keyring(), &envelope)?)
}
