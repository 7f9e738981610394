//! The police inbox's follow-ups (migration 0009): stored once per (case number, seq) and
//! linked to their report by the case number, so one that arrives first waits for it.

use chrono::{DateTime, Utc};

use super::inbox::Stored;
use super::{Db, StoreResult};
use crate::{with_db, with_writer};

/// One received follow-up envelope, as it is written.
#[derive(Debug, Clone)]
pub struct NewInboxFollowup<'a> {
    pub case_number: &'a str,
    pub state: &'a str,
    pub seq: i64,
    pub key_id: &'a str,
    /// Exactly the bytes that arrived.
    pub envelope: &'a str,
    pub envelope_sha256: &'a str,
    pub received_via: &'a str,
    pub received_at: DateTime<Utc>,
    pub unreadable_reason: Option<&'a str>,
}

/// One stored follow-up with its envelope (empty once retention deleted it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxFollowupRow {
    pub id: i64,
    pub case_number: String,
    pub seq: i64,
    pub key_id: String,
    pub envelope: String,
    pub envelope_sha256: String,
    pub received_at: DateTime<Utc>,
    pub unreadable_reason: Option<String>,
    pub envelope_deleted_at: Option<DateTime<Utc>>,
}

pub async fn insert(db: &Db, new: &NewInboxFollowup<'_>) -> StoreResult<Stored> {
    let inserted: Option<i64> = with_writer!(db, pool => sqlx::query_scalar(
        "INSERT INTO inbox_followups (case_number, state, seq, key_id, envelope, \
         envelope_sha256, received_via, received_at, unreadable_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (case_number, seq) DO NOTHING RETURNING id",
    )
    .bind(new.case_number)
    .bind(new.state)
    .bind(new.seq)
    .bind(new.key_id)
    .bind(new.envelope)
    .bind(new.envelope_sha256)
    .bind(new.received_via)
    .bind(new.received_at)
    .bind(new.unreadable_reason)
    .fetch_optional(pool)
    .await?);
    let existing = async {
        Ok(with_db!(db, pool => sqlx::query_as(
            "SELECT id, envelope_sha256 FROM inbox_followups WHERE case_number = $1 AND seq = $2",
        )
        .bind(new.case_number)
        .bind(new.seq)
        .fetch_one(pool)
        .await?))
    };
    Stored::settle(inserted, new.envelope_sha256, existing).await
}

/// The follow-ups of a case, in sequence.
pub async fn of_case(db: &Db, case_number: &str) -> StoreResult<Vec<InboxFollowupRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, InboxFollowupRow>(
        "SELECT id, case_number, seq, key_id, envelope, envelope_sha256, received_at, \
         unreadable_reason, envelope_deleted_at FROM inbox_followups \
         WHERE case_number = $1 ORDER BY seq",
    )
    .bind(case_number)
    .fetch_all(pool)
    .await?))
}
