//! Police delivery per state. A report counts as delivered only with a valid receipt:
//! HMAC-SHA256 over its case number and the exact envelope bytes (the README's delivery protocol).

pub mod escalation;
pub mod followup;
pub mod push;
pub mod receipt;
pub mod targets;

use chrono::Utc;

use crate::store::{delivery as store, jobs::Job, reports, Db, StoreError};
pub use targets::{Target, TargetError, Targets};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Push(#[from] push::PushError),
    #[error("report {0} does not exist")]
    UnknownReport(i64),
    #[error("the receipt does not match this report's envelope")]
    InvalidReceipt,
}

/// What a delivery attempt achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// The receipt is stored; report delivered, job done.
    Receipted,
    /// Pull mode: the job waits for the police system's receipt.
    AwaitingPull,
    /// A receipt had arrived before (e.g. through the pull API); nothing to do.
    AlreadyDelivered,
}

/// Runs one `deliver` job. On success with push, the receipt, the report status and the
/// job are written in one transaction (the job only while `worker` still holds it).
#[tracing::instrument(skip_all, fields(job_id = job.id, report_id = job.report_id))]
pub async fn run(
    db: &Db,
    targets: &Targets,
    client: &reqwest::Client,
    job: &Job,
    worker: &str,
) -> Result<Delivered, DeliveryError> {
    let report = reports::get_by_id(db, job.report_id)
        .await?
        .ok_or(DeliveryError::UnknownReport(job.report_id))?;
    if report.status == "delivered" {
        return Ok(Delivered::AlreadyDelivered);
    }
    match targets.for_state(report.state.as_str())? {
        Target::Pull { .. } => Ok(Delivered::AwaitingPull),
        Target::Push { url, secret } => {
            let envelope = reports::envelope(db, job.report_id)
                .await?
                .ok_or(DeliveryError::UnknownReport(job.report_id))?;
            let receipt = push::push(
                client,
                &url,
                &secret,
                report.case_number.as_str(),
                &envelope,
                Utc::now().timestamp(),
            )
            .await?;
            store::record_receipt(
                db,
                report.id,
                &receipt,
                Some((job, worker)),
                Utc::now(),
                None,
            )
            .await?;
            Ok(Delivered::Receipted)
        }
    }
}

/// For the pull API: checks `receipt` against the stored envelope of `report_id` and, if
/// valid, marks the report delivered and its delivery job done. Returns false when the
/// report had been acknowledged before (repeating a receipt is harmless).
pub async fn accept_receipt(
    db: &Db,
    targets: &Targets,
    report_id: i64,
    receipt: &str,
    audit: Option<&crate::store::audit::Audited<'_>>,
) -> Result<bool, DeliveryError> {
    let report = reports::get_by_id(db, report_id)
        .await?
        .ok_or(DeliveryError::UnknownReport(report_id))?;
    let envelope = reports::envelope(db, report_id)
        .await?
        .ok_or(DeliveryError::UnknownReport(report_id))?;
    let target = targets.for_state(report.state.as_str())?;
    if !receipt::verify(
        target.secret(),
        report.case_number.as_str(),
        envelope.as_bytes(),
        receipt,
    ) {
        return Err(DeliveryError::InvalidReceipt);
    }
    let first =
        store::record_receipt(db, report_id, receipt.trim(), None, Utc::now(), audit).await?;
    if first {
        tracing::info!(report_id, state = %report.state, "report delivered (pull receipt)");
    }
    Ok(first)
}
