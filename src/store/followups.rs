//! Sealed follow-ups on the intake (issue 14): the envelope, its delivery job and receipt.
//! Nothing readable of what the citizen added is stored here.

use chrono::{DateTime, Utc};

use super::audit::Audited;
use super::delivery::ReceiptMark;
use super::jobs::{Job, JobKind};
use super::{Db, StoreResult};
use crate::reports::case_number::CaseNumber;
use crate::state_code::StateCode;
use crate::with_db;

/// A new follow-up of `report_id`, already sealed under its `seq`.
#[derive(Debug, Clone)]
pub struct NewFollowup<'a> {
    pub report_id: i64,
    pub seq: i64,
    pub state: &'a StateCode,
    pub key_id: &'a str,
    pub envelope: &'a str,
    pub envelope_sha256: &'a str,
    pub created_at: DateTime<Utc>,
    pub max_attempts: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    Created {
        id: i64,
    },
    /// Another follow-up took this seq meanwhile: seal again under the next one.
    SeqTaken,
}

/// One row, without the envelope.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowupRow {
    pub id: i64,
    pub report_id: i64,
    pub case_number: CaseNumber,
    pub seq: i64,
    pub state: StateCode,
    pub key_id: String,
    pub envelope_sha256: String,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "f.id, f.report_id, r.case_number, f.seq, f.state, f.key_id, \
     f.envelope_sha256, f.created_at, f.delivered_at";

/// (follow-ups of the report since `since`, the next free seq).
pub async fn count_and_next_seq(
    db: &Db,
    report_id: i64,
    since: DateTime<Utc>,
) -> StoreResult<(i64, i64)> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT COUNT(CASE WHEN created_at > $2 THEN 1 END), COALESCE(MAX(seq), 0) + 1 \
         FROM followups WHERE report_id = $1",
    )
    .bind(report_id)
    .bind(since)
    .fetch_one(pool)
    .await?))
}

/// Stores the follow-up and its `deliver_followup` job in one transaction.
pub async fn insert(db: &Db, new: &NewFollowup<'_>) -> StoreResult<Inserted> {
    let inserted = with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO followups (report_id, seq, state, key_id, envelope, envelope_sha256, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(new.report_id)
        .bind(new.seq)
        .bind(new.state)
        .bind(new.key_id)
        .bind(new.envelope)
        .bind(new.envelope_sha256)
        .bind(new.created_at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            tx.rollback().await?;
            return Ok(Inserted::SeqTaken);
        };
        sqlx::query(
            "INSERT INTO jobs (kind, report_id, state, status, attempts, max_attempts, run_at, \
             created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5, $5)",
        )
        .bind(JobKind::DeliverFollowup)
        .bind(id)
        .bind(new.state)
        .bind(new.max_attempts)
        .bind(new.created_at)
        .execute(&mut *tx)
        .await?;
        if let Db::Postgres(_) = db {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(super::jobs::CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        id
    });
    super::jobs::notify_local();
    Ok(Inserted::Created { id: inserted })
}

pub async fn get(db: &Db, id: i64) -> StoreResult<Option<FollowupRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM followups f JOIN reports r ON r.id = f.report_id WHERE f.id = $1"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, FollowupRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await?))
}

/// The follow-up `seq` of the report with this case number.
pub async fn by_case_and_seq(
    db: &Db,
    case_number: &CaseNumber,
    seq: i64,
) -> StoreResult<Option<FollowupRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM followups f JOIN reports r ON r.id = f.report_id \
         WHERE r.case_number = $1 AND f.seq = $2"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, FollowupRow>(&sql)
        .bind(case_number)
        .bind(seq)
        .fetch_optional(pool)
        .await?))
}

/// The stored envelope; `None` once retention deleted it (or for no such follow-up).
pub async fn envelope(db: &Db, id: i64) -> StoreResult<Option<String>> {
    super::reports::stored_envelope(db, "followups", id).await
}

/// Undelivered follow-ups of `state` (for the pull API), oldest first.
pub async fn undelivered(db: &Db, state: &str, limit: i64) -> StoreResult<Vec<FollowupRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM followups f JOIN reports r ON r.id = f.report_id \
         WHERE f.state = $1 AND f.delivered_at IS NULL AND f.envelope_deleted_at IS NULL \
         ORDER BY f.created_at, f.id LIMIT $2"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, FollowupRow>(&sql)
        .bind(state)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// Stores a verified receipt and completes the job (with `lease` only while that worker
/// still holds it). Returns false when the follow-up was delivered before.
pub async fn record_receipt(
    db: &Db,
    id: i64,
    receipt: &str,
    lease: Option<(&Job, &str)>,
    now: DateTime<Utc>,
    audit: Option<&Audited<'_>>,
) -> StoreResult<bool> {
    let mark = ReceiptMark {
        mark: "UPDATE followups SET delivered_at = $1, receipt = $2 \
               WHERE id = $3 AND delivered_at IS NULL",
        kind: JobKind::DeliverFollowup,
    };
    mark.record(db, id, receipt, lease, now, audit).await
}
