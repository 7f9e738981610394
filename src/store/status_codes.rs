//! The labelled hash of each report's status code (migration 0008), and its tombstone once
//! retention has deleted the report's index.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::reports::case_number::CaseNumber;
use crate::with_db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusCodeRow {
    pub case_number: CaseNumber,
    pub code_hash: String,
    /// Set once the report's index is gone: the case is no longer online.
    pub gone_at: Option<DateTime<Utc>>,
}

pub async fn get(db: &Db, case_number: &CaseNumber) -> StoreResult<Option<StatusCodeRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, StatusCodeRow>(
        "SELECT case_number, code_hash, gone_at FROM report_status_codes WHERE case_number = $1",
    )
    .bind(case_number)
    .fetch_optional(pool)
    .await?))
}
