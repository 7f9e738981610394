//! Delivering sealed follow-ups: the same push protocol and receipts as reports, with the
//! Idempotency-Key `<case number>.<seq>` that the receipt binds instead of the case number.

use chrono::Utc;

use super::{push, receipt, Delivered, DeliveryError, Target, Targets};
use crate::reports::followup::delivery_key;
use crate::store::followups::{self as store, FollowupRow};
use crate::store::jobs::Job;
use crate::store::Db;

fn key_of(row: &FollowupRow) -> String {
    delivery_key(&row.case_number, u32::try_from(row.seq).unwrap_or(0))
}

/// Runs one `deliver_followup` job (the job names the follow-up's id).
#[tracing::instrument(skip_all, fields(job_id = job.id, followup_id = job.report_id))]
pub async fn run(
    db: &Db,
    targets: &Targets,
    client: &reqwest::Client,
    job: &Job,
    worker: &str,
) -> Result<Delivered, DeliveryError> {
    let row = store::get(db, job.report_id)
        .await?
        .ok_or(DeliveryError::UnknownReport(job.report_id))?;
    if row.delivered_at.is_some() {
        return Ok(Delivered::AlreadyDelivered);
    }
    match targets.for_state(row.state.as_str())? {
        Target::Pull { .. } => Ok(Delivered::AwaitingPull),
        Target::Push { url, secret } => {
            let envelope = store::envelope(db, row.id)
                .await?
                .ok_or(DeliveryError::UnknownReport(row.id))?;
            let key = key_of(&row);
            let receipt = push::push(
                client,
                &url,
                &secret,
                &key,
                &envelope,
                Utc::now().timestamp(),
            )
            .await?;
            store::record_receipt(db, row.id, &receipt, Some((job, worker)), Utc::now(), None)
                .await?;
            Ok(Delivered::Receipted)
        }
    }
}

/// For the pull API: checks `receipt` against the stored envelope of follow-up `id`;
/// false when it had been acknowledged before.
pub async fn accept_receipt(
    db: &Db,
    targets: &Targets,
    id: i64,
    receipt_text: &str,
    audit: Option<&crate::store::audit::Audited<'_>>,
) -> Result<bool, DeliveryError> {
    let row = store::get(db, id)
        .await?
        .ok_or(DeliveryError::UnknownReport(id))?;
    let envelope = store::envelope(db, id)
        .await?
        .ok_or(DeliveryError::UnknownReport(id))?;
    let target = targets.for_state(row.state.as_str())?;
    if !receipt::verify(
        target.secret(),
        &key_of(&row),
        envelope.as_bytes(),
        receipt_text,
    ) {
        return Err(DeliveryError::InvalidReceipt);
    }
    let first = store::record_receipt(db, id, receipt_text.trim(), None, Utc::now(), audit).await?;
    if first {
        tracing::info!(followup_id = id, state = %row.state, "follow-up delivered (pull receipt)");
    }
    Ok(first)
}
