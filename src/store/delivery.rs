//! Delivery state of reports: receipts, overdue reports and escalations.

use chrono::{DateTime, Utc};

use super::audit::{publish, Audited};
use super::jobs::{finish_delivered_in, finish_leased_in, Job, JobKind};
use super::reports::{ReportRow, REPORT_COLUMNS};
use super::{Db, StoreResult};
use crate::{with_db, with_writer};

/// Stores a verified receipt: the report becomes delivered and its delivery job done, in one
/// transaction. With `lease`, the job is completed only while that worker still holds it
/// (the report counts as delivered either way: the receipt proves it).
/// Returns false when the report was delivered before.
pub async fn record_receipt(
    db: &Db,
    report_id: i64,
    receipt: &str,
    lease: Option<(&Job, &str)>,
    now: DateTime<Utc>,
    audit: Option<&Audited<'_>>,
) -> StoreResult<bool> {
    REPORT_RECEIPT
        .record(db, report_id, receipt, lease, now, audit)
        .await
}

/// How a receipt marks a report delivered.
pub const REPORT_RECEIPT: ReceiptMark = ReceiptMark {
    mark: "UPDATE reports SET status = 'delivered', delivered_at = $1, receipt = $2 \
           WHERE id = $3 AND status <> 'delivered'",
    kind: JobKind::Deliver,
};

/// What pushing a report needs, in one read: its state, case number, whether it is
/// delivered, and its envelope (`None` once retention deleted it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PushParcel {
    pub state: String,
    pub case_number: String,
    pub status: String,
    pub envelope: Option<String>,
}

pub async fn push_parcel(db: &Db, report_id: i64) -> StoreResult<Option<PushParcel>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, PushParcel>(
        "SELECT state, case_number, status, \
         CASE WHEN envelope_deleted_at IS NULL THEN envelope END AS envelope \
         FROM reports WHERE id = $1",
    )
    .bind(report_id)
    .fetch_optional(pool)
    .await?))
}

/// A verified push receipt waiting to be stored with its leased job.
#[derive(Debug, Clone)]
pub struct PushReceipt {
    pub mark: &'static ReceiptMark,
    pub id: i64,
    pub receipt: String,
    pub job: Job,
    pub worker: String,
}

/// Stores several push receipts in one transaction, so they share one commit (one fsync)
/// instead of one each. Each is stored as `ReceiptMark::record` would store it; all commit
/// or none does. Gives per receipt whether it was the first.
pub async fn record_push_receipts(
    db: &Db,
    receipts: &[PushReceipt],
    now: DateTime<Utc>,
) -> StoreResult<Vec<bool>> {
    Ok(with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let mut firsts = Vec::with_capacity(receipts.len());
        for r in receipts {
            let first = sqlx::query(r.mark.mark)
                .bind(now)
                .bind(&r.receipt)
                .bind(r.id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            finish_leased_in!(tx, &r.job, r.worker.as_str(), now);
            firsts.push(first);
        }
        tx.commit().await?;
        firsts
    }))
}

/// How a receipt marks its subject (a report or a follow-up) delivered: `mark` binds the
/// time, the receipt and the id, and changes a row only the first time.
#[derive(Debug)]
pub struct ReceiptMark {
    pub mark: &'static str,
    pub kind: JobKind,
}

impl ReceiptMark {
    /// The mark, the job and the audit entry in one transaction; false if marked before.
    pub async fn record(
        &self,
        db: &Db,
        id: i64,
        receipt: &str,
        lease: Option<(&Job, &str)>,
        now: DateTime<Utc>,
        audit: Option<&Audited<'_>>,
    ) -> StoreResult<bool> {
        let (first, head) = with_writer!(db, pool => {
            let mut tx = pool.begin().await?;
            let first = sqlx::query(self.mark)
                .bind(now)
                .bind(receipt)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            finish_delivered_in!(tx, lease, id, self.kind, now);
            // A clerk's receipt commits with its audit entry, or neither does.
            let head = crate::commit_audited!(tx, audit, true);
            (first, head)
        });
        publish(head.as_ref());
        Ok(first)
    }
}

/// Undelivered reports submitted before `cutoff`, oldest first; `state` narrows to one state.
pub async fn overdue_reports(
    db: &Db,
    state: Option<&str>,
    cutoff: DateTime<Utc>,
) -> StoreResult<Vec<ReportRow>> {
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM reports WHERE status = 'pending' AND submitted_at < $1 \
         AND ($2 IS NULL OR state = $2) ORDER BY submitted_at, id"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, ReportRow>(&sql)
        .bind(cutoff)
        .bind(state)
        .fetch_all(pool)
        .await?))
}

/// Undelivered reports older than `cutoff`, counted per state.
pub async fn overdue_counts(db: &Db, cutoff: DateTime<Utc>) -> StoreResult<Vec<(String, i64)>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT state, COUNT(*) FROM reports WHERE status = 'pending' AND submitted_at < $1 \
         GROUP BY state ORDER BY state",
    )
    .bind(cutoff)
    .fetch_all(pool)
    .await?))
}

/// States that have undelivered reports.
pub async fn undelivered_states(db: &Db) -> StoreResult<Vec<String>> {
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT state FROM reports WHERE status = 'pending' ORDER BY state",
    )
    .fetch_all(pool)
    .await?))
}

/// A report escalated by this sweep.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Escalated {
    pub id: i64,
    pub state: String,
    pub case_number: String,
}

/// Marks every overdue, not yet escalated report as escalated and, for states in
/// `mail_states`, enqueues one `escalate` job. One statement claims the reports, so
/// concurrent sweeps of several instances never escalate a report twice.
pub async fn escalate_overdue(
    db: &Db,
    cutoff: DateTime<Utc>,
    mail_states: &[String],
    max_attempts: i64,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Escalated>> {
    let escalated = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let escalated: Vec<Escalated> = sqlx::query_as(
            "UPDATE reports SET escalated_at = $1 WHERE status = 'pending' \
             AND escalated_at IS NULL AND submitted_at < $2 RETURNING id, state, case_number",
        )
        .bind(now)
        .bind(cutoff)
        .fetch_all(&mut *tx)
        .await?;
        for report in escalated.iter().filter(|r| mail_states.contains(&r.state)) {
            sqlx::query(
                "INSERT INTO jobs (kind, report_id, state, status, attempts, max_attempts, \
                 run_at, created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5, $5) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(JobKind::Escalate)
            .bind(report.id)
            .bind(&report.state)
            .bind(max_attempts)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        escalated
    });
    Ok(escalated)
}

/// The confirmation e-mail of a report: language and sealed address (None once sent).
#[derive(Clone, sqlx::FromRow)]
pub struct Outbox {
    pub report_id: i64,
    pub language: String,
    pub sealed_address: Option<Vec<u8>>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("report_id", &self.report_id)
            .field("language", &self.language)
            .field("sent_at", &self.sent_at)
            .finish_non_exhaustive()
    }
}

pub async fn outbox(db: &Db, report_id: i64) -> StoreResult<Option<Outbox>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, Outbox>(
        "SELECT report_id, language, sealed_address, sent_at FROM mail_outbox WHERE report_id = $1",
    )
    .bind(report_id)
    .fetch_optional(pool)
    .await?))
}

/// After a successful send: erases the address and completes the job while our lease holds.
pub async fn mark_mail_sent(
    db: &Db,
    job: &Job,
    worker: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "UPDATE mail_outbox SET sealed_address = NULL, sent_at = $1 WHERE report_id = $2",
        )
        .bind(now)
        .bind(job.report_id)
        .execute(&mut *tx)
        .await?;
        finish_leased_in!(tx, job, worker, now);
        tx.commit().await?;
        Ok(())
    })
}

/// One claim of a job, for audits.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub job_id: i64,
    pub attempt: i64,
    pub worker: String,
    pub claimed_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

pub async fn attempts(db: &Db) -> StoreResult<Vec<Attempt>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, Attempt>(
        "SELECT job_id, attempt, worker, claimed_at, finished_at, outcome FROM job_attempts \
         ORDER BY job_id, attempt, id",
    )
    .fetch_all(pool)
    .await?))
}
