//! Intake side: the coarse status events the police inbox sends back (migration 0004).

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::reports::case_number::CaseNumber;
use crate::{with_db, with_writer};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusEventRow {
    pub event_id: String,
    pub case_number: CaseNumber,
    pub status: String,
    pub office_id: Option<String>,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// Stores an event once; returns false when its `event_id` was stored before.
pub async fn insert(
    db: &Db,
    event_id: &str,
    case_number: &CaseNumber,
    status: &str,
    office_id: Option<&str>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let inserted: Option<i64> = with_writer!(db, pool => sqlx::query_scalar(
        "INSERT INTO report_status_events (event_id, case_number, status, office_id, at, \
         received_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (event_id) DO NOTHING RETURNING id",
    )
    .bind(event_id)
    .bind(case_number)
    .bind(status)
    .bind(office_id)
    .bind(at)
    .bind(now)
    .fetch_optional(pool)
    .await?);
    Ok(inserted.is_some())
}

/// A report's status history, oldest first.
pub async fn for_case(db: &Db, case_number: &CaseNumber) -> StoreResult<Vec<StatusEventRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, StatusEventRow>(
        "SELECT event_id, case_number, status, office_id, at, received_at \
         FROM report_status_events WHERE case_number = $1 ORDER BY at, id",
    )
    .bind(case_number)
    .fetch_all(pool)
    .await?))
}
