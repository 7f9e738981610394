//! Police delivery per state. A report counts as delivered only with a valid receipt:
//! HMAC-SHA256 over its case number and the exact envelope bytes (the README's delivery protocol).

pub mod escalation;
pub mod group_commit;
pub mod push;
pub mod receipt;
pub mod targets;

use chrono::Utc;

use crate::store::{delivery as store, jobs::Job, reports, Db, StoreError};
pub use group_commit::ReceiptWriter;
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

/// What a delivery job carries to the police: a report, or a follow-up to one. Both go by
/// the same protocol; only the Idempotency-Key the receipt binds differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parcel {
    Report,
    Followup,
}

/// A stored parcel, as delivery needs it.
struct Stored {
    state: String,
    key: String,
    delivered: bool,
}

impl Parcel {
    fn name(self) -> &'static str {
        match self {
            Parcel::Report => "report",
            Parcel::Followup => "follow-up",
        }
    }

    async fn load(self, db: &Db, id: i64) -> Result<Stored, DeliveryError> {
        let stored = match self {
            Parcel::Report => reports::get_by_id(db, id).await?.map(|r| Stored {
                state: r.state.as_str().to_owned(),
                key: r.case_number.as_str().to_owned(),
                delivered: r.status == "delivered",
            }),
            Parcel::Followup => crate::store::followups::get(db, id).await?.map(|f| Stored {
                state: f.state.as_str().to_owned(),
                // The receipt binds `<case number>.<seq>` instead of the case number.
                key: crate::reports::followup::delivery_key(
                    &f.case_number,
                    u32::try_from(f.seq).unwrap_or(0),
                ),
                delivered: f.delivered_at.is_some(),
            }),
        };
        stored.ok_or(DeliveryError::UnknownReport(id))
    }

    async fn envelope(self, db: &Db, id: i64) -> Result<String, DeliveryError> {
        let envelope = match self {
            Parcel::Report => reports::envelope(db, id).await?,
            Parcel::Followup => crate::store::followups::envelope(db, id).await?,
        };
        envelope.ok_or(DeliveryError::UnknownReport(id))
    }

    async fn record_receipt(
        self,
        db: &Db,
        id: i64,
        receipt: &str,
        lease: Option<(&Job, &str)>,
        audit: Option<&crate::store::audit::Audited<'_>>,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        match self {
            Parcel::Report => store::record_receipt(db, id, receipt, lease, now, audit).await,
            Parcel::Followup => {
                crate::store::followups::RECEIPT
                    .record(db, id, receipt, lease, now, audit)
                    .await
            }
        }
    }
}

/// Runs one delivery job for `parcel` (the job names its id). On success with push, the
/// receipt, the delivered mark and the job are written in one transaction (the job only
/// while `worker` still holds it), shared with other workers' receipts (`receipts`).
#[tracing::instrument(skip_all, fields(job_id = job.id, parcel = parcel.name(), id = job.report_id))]
pub async fn run(
    db: &Db,
    targets: &Targets,
    client: &reqwest::Client,
    receipts: &ReceiptWriter,
    job: &Job,
    worker: &str,
    parcel: Parcel,
) -> Result<Delivered, DeliveryError> {
    // A report's row and envelope come in one read; a follow-up's in two.
    let (stored, envelope) = match parcel {
        Parcel::Report => {
            let row = store::push_parcel(db, job.report_id)
                .await?
                .ok_or(DeliveryError::UnknownReport(job.report_id))?;
            let stored = Stored {
                delivered: row.status == "delivered",
                // As `StateCode` reads it.
                state: row.state.to_ascii_lowercase(),
                key: row.case_number,
            };
            (stored, Some(row.envelope))
        }
        Parcel::Followup => (parcel.load(db, job.report_id).await?, None),
    };
    if stored.delivered {
        return Ok(Delivered::AlreadyDelivered);
    }
    match targets.for_state(&stored.state)? {
        Target::Pull { .. } => Ok(Delivered::AwaitingPull),
        Target::Push { url, secret } => {
            let envelope = match envelope {
                Some(read) => read.ok_or(DeliveryError::UnknownReport(job.report_id))?,
                None => parcel.envelope(db, job.report_id).await?,
            };
            let now = Utc::now().timestamp();
            let receipt = push::push(client, &url, &secret, &stored.key, &envelope, now).await?;
            let mark = match parcel {
                Parcel::Report => &store::REPORT_RECEIPT,
                Parcel::Followup => &crate::store::followups::RECEIPT,
            };
            let receipt = store::PushReceipt {
                mark,
                id: job.report_id,
                receipt,
                job: job.clone(),
                worker: worker.to_owned(),
            };
            receipts.record(db, receipt).await?;
            Ok(Delivered::Receipted)
        }
    }
}

/// For the pull API: checks `receipt` against the stored envelope of parcel `id` and, if
/// valid, marks it delivered and its delivery job done. Returns false when it had been
/// acknowledged before (repeating a receipt is harmless).
pub async fn accept_receipt(
    db: &Db,
    targets: &Targets,
    parcel: Parcel,
    id: i64,
    receipt: &str,
    audit: Option<&crate::store::audit::Audited<'_>>,
) -> Result<bool, DeliveryError> {
    let stored = parcel.load(db, id).await?;
    let envelope = parcel.envelope(db, id).await?;
    let target = targets.for_state(&stored.state)?;
    if !receipt::verify(target.secret(), &stored.key, envelope.as_bytes(), receipt) {
        return Err(DeliveryError::InvalidReceipt);
    }
    let first = parcel
        .record_receipt(db, id, receipt.trim(), None, audit)
        .await?;
    if first {
        tracing::info!(id, parcel = parcel.name(), state = %stored.state, "delivered (pull receipt)");
    }
    Ok(first)
}
