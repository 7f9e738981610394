//! Deleting what is past its retention time, per state, in one transaction. Only delivered
//! reports are touched: an undelivered report is never deleted, whatever its age.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::state_code::StateCode;

/// Advisory lock id of the sweep (arbitrary, fixed): one instance at a time on PostgreSQL.
const RETENTION_LOCK: i64 = 0x0069_7772_6574_656e;

/// Runs of the sweep's transaction on PostgreSQL when it loses a deadlock.
const SWEEP_ATTEMPTS: u32 = 3;

/// One state's deadlines: what was delivered at or before a cutoff goes.
#[derive(Debug, Clone)]
pub struct Cutoffs {
    pub state: StateCode,
    /// Envelopes of reports delivered at or before this moment are deleted.
    pub envelope: DateTime<Utc>,
    /// Index rows (with their delivery history) of reports delivered at or before this.
    pub index: DateTime<Utc>,
}

/// What one kind of row lost in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub state: StateCode,
    pub kind: &'static str,
    pub count: u64,
}

/// The delivered reports of `$1` at or before `$2`.
const DUE: &str =
    "SELECT id FROM reports WHERE state = $1 AND status = 'delivered' AND delivered_at <= $2";

/// (kind, statement) in the order foreign keys need; `$1` state, `$2` cutoff, `$3` now.
fn statements() -> [(&'static str, String); 13] {
    [
        (
            "envelopes",
            "UPDATE reports SET envelope = '', envelope_deleted_at = $3 WHERE state = $1 \
             AND status = 'delivered' AND delivered_at <= $2 AND envelope_deleted_at IS NULL"
                .to_owned(),
        ),
        (
            // Follow-ups delivered at or before the envelope cutoff (their own receipt).
            "followup_envelopes",
            "UPDATE followups SET envelope = '', envelope_deleted_at = $3 WHERE state = $1 \
             AND delivered_at <= $2 AND envelope_deleted_at IS NULL"
                .to_owned(),
        ),
        (
            "followup_job_attempts",
            format!(
                "DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE \
                 kind = 'deliver_followup' AND report_id IN \
                 (SELECT id FROM followups WHERE report_id IN ({DUE})))"
            ),
        ),
        (
            "followup_jobs",
            format!(
                "DELETE FROM jobs WHERE kind = 'deliver_followup' AND report_id IN \
                 (SELECT id FROM followups WHERE report_id IN ({DUE}))"
            ),
        ),
        (
            // At the latest, follow-ups go with their report's index.
            "followups",
            format!("DELETE FROM followups WHERE report_id IN ({DUE})"),
        ),
        (
            "job_attempts",
            format!(
                "DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE \
                 kind <> 'deliver_followup' AND report_id IN ({DUE}))"
            ),
        ),
        (
            // `deliver_followup` jobs name follow-ups, not reports.
            "jobs",
            format!("DELETE FROM jobs WHERE kind <> 'deliver_followup' AND report_id IN ({DUE})"),
        ),
        (
            "mail_outbox",
            format!("DELETE FROM mail_outbox WHERE report_id IN ({DUE})"),
        ),
        (
            "status_events",
            format!(
                "DELETE FROM report_status_events WHERE case_number IN \
                 (SELECT case_number FROM reports WHERE id IN ({DUE}))"
            ),
        ),
        (
            "status_code_tombstones",
            format!(
                "UPDATE report_status_codes SET gone_at = $3 WHERE gone_at IS NULL AND \
                 case_number IN (SELECT case_number FROM reports WHERE id IN ({DUE}))"
            ),
        ),
        (
            // A tombstone lasts one more index period after its report's index went.
            "expired_tombstones",
            "DELETE FROM report_status_codes WHERE state = $1 AND gone_at <= $2 AND gone_at < $3"
                .to_owned(),
        ),
        (
            "drafts",
            format!(
                "DELETE FROM drafts WHERE case_number IN \
                 (SELECT case_number FROM reports WHERE id IN ({DUE}))"
            ),
        ),
        (
            "reports",
            "DELETE FROM reports WHERE state = $1 AND status = 'delivered' AND delivered_at <= $2"
                .to_owned(),
        ),
    ]
}

/// Runs every deletion for every state in one transaction. `dry_run` rolls it back, so the
/// counts are exactly what a real run would delete. `None`: another instance is sweeping.
pub async fn sweep(
    db: &Db,
    states: &[Cutoffs],
    now: DateTime<Utc>,
    dry_run: bool,
) -> StoreResult<Option<Vec<Deleted>>> {
    macro_rules! body {
        ($tx:ident) => {{
            let mut deleted = Vec::new();
            for cutoffs in states {
                for (kind, sql) in statements() {
                    let cutoff = if kind.ends_with("envelopes") {
                        cutoffs.envelope
                    } else {
                        cutoffs.index
                    };
                    let count = sqlx::query(&sql)
                        .bind(&cutoffs.state)
                        .bind(cutoff)
                        .bind(now)
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected();
                    deleted.push(Deleted {
                        state: cutoffs.state.clone(),
                        kind,
                        count,
                    });
                }
            }
            if dry_run {
                $tx.rollback().await?;
            } else {
                $tx.commit().await?;
            }
            Ok(Some(deleted))
        }};
    }
    match db {
        Db::Sqlite(sqlite) => {
            let mut writer = sqlite.writer().await?;
            let mut tx = sqlx::Connection::begin_with(&mut *writer, "BEGIN IMMEDIATE").await?;
            let swept = body!(tx);
            drop(writer);
            sqlite.flush_commits().await?;
            swept
        }
        Db::Postgres(pool) => {
            // A job finishing on a row being swept takes the tables in another order (its
            // outbox row, then its job); PostgreSQL then rolls one side back. The sweep is
            // idempotent, so it runs again.
            let mut attempt = 1;
            loop {
                let swept: StoreResult<_> = async {
                    let mut tx = pool.begin().await?;
                    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                        .bind(RETENTION_LOCK)
                        .fetch_one(&mut *tx)
                        .await?;
                    if !ours {
                        return Ok(None);
                    }
                    body!(tx)
                }
                .await;
                match swept {
                    Err(e) if attempt < SWEEP_ATTEMPTS && e.is_retryable_conflict() => {
                        tracing::warn!(attempt, error = %e, "retention sweep rolled back by a conflict; running it again");
                        attempt += 1;
                    }
                    other => return other,
                }
            }
        }
    }
}

/// Every state that has reports (or status-code tombstones), so a state dropped from the
/// catalog is still swept.
pub async fn states_with_reports(db: &Db) -> StoreResult<Vec<StateCode>> {
    Ok(crate::with_db!(db, pool => sqlx::query_scalar(
        "SELECT state FROM reports UNION SELECT state FROM report_status_codes ORDER BY state",
    )
    .fetch_all(pool)
    .await?))
}
