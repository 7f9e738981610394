//! Sealed follow-ups on the intake (issue 14): the envelope, its delivery job and receipt.
//! Nothing readable of what the citizen added is stored here.

use chrono::{DateTime, Utc};

use super::delivery::ReceiptMark;
use super::jobs::JobKind;
use super::{Db, StoreResult};
use crate::reports::case_number::CaseNumber;
use crate::state_code::StateCode;
use crate::{with_db, with_writer};

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
    let inserted = with_writer!(db, pool => {
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
        super::jobs::enqueue_in!(
            tx,
            JobKind::DeliverFollowup,
            id,
            new.state,
            new.max_attempts,
            new.created_at
        );
        super::jobs::notify_workers_in!(db, tx);
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

/// Undelivered follow-ups (for the pull API) of `state`, or of every state for `None`,
/// oldest first: `limit` of them after the one with id `after_id`.
pub async fn undelivered(
    db: &Db,
    state: Option<&str>,
    after_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<FollowupRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM followups f JOIN reports r ON r.id = f.report_id \
         WHERE ($1 IS NULL OR f.state = $1) AND ($2 IS NULL OR f.id > $2) \
         AND f.delivered_at IS NULL AND f.envelope_deleted_at IS NULL \
         ORDER BY f.id LIMIT $3"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, FollowupRow>(&sql)
        .bind(state)
        .bind(after_id)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// How a verified receipt marks a follow-up delivered and completes its job
/// (`RECEIPT.record`; false when it was delivered before).
pub const RECEIPT: ReceiptMark = ReceiptMark {
    mark: "UPDATE followups SET delivered_at = $1, receipt = $2 \
           WHERE id = $3 AND delivered_at IS NULL",
    kind: JobKind::DeliverFollowup,
};
