//! Retention in the police inbox's database (migration 0007): which reports are due, and
//! deleting their envelopes (keeping the index as a tombstone) or the whole row with its
//! notes and status events. Only reports the inbox is done with are ever due: handed over,
//! closed or rejected. A report still being worked on (or never opened) is kept, since
//! keeping too long is the safe mistake and deleting early is not.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::{with_db, with_writer};

/// The statuses after which the inbox has nothing left to do with a report.
const DONE: &str = "status IN ('abgegeben', 'abgeschlossen', 'zurueckgewiesen')";

/// Reports of `$1` received before `$2` that the inbox is done with.
fn due(extra: &str) -> String {
    format!("state = $1 AND received_at < $2 AND {DONE}{extra}")
}

/// What deleting whole reports removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexDeleted {
    pub reports: u64,
    pub notes: u64,
    pub status_events: u64,
}

/// What a sweep looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Envelopes still stored.
    Envelopes,
    /// Whole rows.
    Reports,
}

/// Case numbers of `state` received before `cutoff` that are due for `what`.
pub async fn cases_due(
    db: &Db,
    state: &str,
    cutoff: DateTime<Utc>,
    what: Due,
) -> StoreResult<Vec<String>> {
    let extra = match what {
        Due::Envelopes => " AND envelope_deleted_at IS NULL",
        Due::Reports => "",
    };
    let sql = format!(
        "SELECT case_number FROM inbox_reports WHERE {} ORDER BY id",
        due(extra)
    );
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, String>(&sql)
        .bind(state)
        .bind(cutoff)
        .fetch_all(pool)
        .await?))
}

/// Empties the envelopes that are due and marks them deleted at `now`; returns how many.
pub async fn delete_envelopes(
    db: &Db,
    state: &str,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let sql = format!(
        "UPDATE inbox_reports SET envelope = '', envelope_deleted_at = $3 WHERE {}",
        due(" AND envelope_deleted_at IS NULL")
    );
    // Follow-ups received before the cutoff go with the envelope rule of their report
    // (only once the inbox is done with it); they are not counted as reports.
    let followups = format!(
        "UPDATE inbox_followups SET envelope = '', envelope_deleted_at = $3 WHERE state = $1 \
         AND received_at < $2 AND envelope_deleted_at IS NULL AND case_number IN \
         (SELECT case_number FROM inbox_reports WHERE {})",
        due("")
    );
    Ok(with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(&sql)
            .bind(state)
            .bind(cutoff)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(&followups)
            .bind(state)
            .bind(cutoff)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        n
    }))
}

/// Deletes the rows that are due with their notes and status events (and the events'
/// queue jobs), in one transaction.
pub async fn delete_reports(
    db: &Db,
    state: &str,
    cutoff: DateTime<Utc>,
) -> StoreResult<IndexDeleted> {
    let rows = due("");
    let events = format!(
        "SELECT id FROM inbox_status_events WHERE case_number IN \
         (SELECT case_number FROM inbox_reports WHERE {rows})"
    );
    let jobs =
        format!("SELECT id FROM jobs WHERE kind = 'inbox_status' AND report_id IN ({events})");
    // Children first; the counts kept are notes, events and reports.
    let statements = [
        format!("DELETE FROM job_attempts WHERE job_id IN ({jobs})"),
        format!("DELETE FROM jobs WHERE id IN ({jobs})"),
        format!("DELETE FROM inbox_status_events WHERE id IN ({events})"),
        format!(
            "DELETE FROM inbox_notes WHERE report_id IN \
             (SELECT id FROM inbox_reports WHERE {rows})"
        ),
        // Follow-ups go with their report's index at the latest.
        format!(
            "DELETE FROM inbox_followups WHERE case_number IN \
             (SELECT case_number FROM inbox_reports WHERE {rows})"
        ),
        format!("DELETE FROM inbox_reports WHERE {rows}"),
    ];
    let mut counts = [0u64; 6];
    with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        for (sql, count) in statements.iter().zip(counts.iter_mut()) {
            *count = sqlx::query(sql)
                .bind(state)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
    });
    Ok(IndexDeleted {
        status_events: counts[2],
        notes: counts[3],
        reports: counts[5],
    })
}

/// The states that have reports in the inbox.
pub async fn states(db: &Db) -> StoreResult<Vec<String>> {
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT DISTINCT state FROM inbox_reports ORDER BY state",
    )
    .fetch_all(pool)
    .await?))
}
