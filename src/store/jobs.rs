//! The jobs table: claim with a lease, finish or fail only while the lease is ours,
//! rescue expired leases, dead letters and their requeueing.

use chrono::{DateTime, Duration, Utc};

use super::audit::{publish, Audited};
use super::{Db, StoreResult};
use crate::state_code::StateCode;
use crate::{with_db, with_writer};

/// The PostgreSQL channel that wakes workers when jobs are enqueued.
pub const CHANNEL: &str = "iw_jobs";

/// What a job does. Stored as its name in the `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Hand the sealed report to the state's police system.
    Deliver,
    /// Send the citizen's confirmation e-mail.
    Email,
    /// Tell the state's operators that a report is still undelivered.
    Escalate,
    /// The police inbox sends a status change back to the intake (inbox database only;
    /// `report_id` names an `inbox_status_events` row).
    InboxStatus,
    /// Hand a sealed follow-up to the state's police system (`report_id` names a
    /// `followups` row).
    DeliverFollowup,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown job kind")]
pub struct UnknownJobKind;

impl JobKind {
    pub const ALL: [JobKind; 5] = [
        JobKind::Deliver,
        JobKind::Email,
        JobKind::Escalate,
        JobKind::InboxStatus,
        JobKind::DeliverFollowup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Deliver => "deliver",
            JobKind::Email => "email",
            JobKind::Escalate => "escalate",
            JobKind::InboxStatus => "inbox_status",
            JobKind::DeliverFollowup => "deliver_followup",
        }
    }

    pub fn parse(name: &str) -> Result<JobKind, UnknownJobKind> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or(UnknownJobKind)
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One claimed job. Carries ids only.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub report_id: i64,
    pub state: StateCode,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// A row as the admin pages and `queue status` show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: JobKind,
    pub report_id: i64,
    pub state: StateCode,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

const JOB_ROW_COLUMNS: &str = "id, kind, report_id, state, status, attempts, max_attempts, \
     run_at, locked_by, last_error, updated_at";

/// Number of jobs in one (state, kind, status) group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueCount {
    pub state: StateCode,
    pub kind: JobKind,
    pub status: String,
    pub count: i64,
}

/// What happened to a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    Retrying {
        run_at: DateTime<Utc>,
    },
    Dead,
    /// The lease had expired and another worker owns the job now.
    LeaseLost,
}

/// Claims due jobs and records each attempt in the open transaction `$tx`, then commits;
/// `$lock` is the engine's row-locking clause of the inner select.
macro_rules! claim_in {
    ($tx:ident, $lock:literal, $worker:expr, $until:expr, $now:expr, $limit:expr) => {{
        let jobs: Vec<Job> = sqlx::query_as(concat!(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3 \
             ORDER BY run_at, id LIMIT $4",
            $lock,
            ") RETURNING id, kind, report_id, state, attempts, max_attempts"
        ))
        .bind($worker)
        .bind($until)
        .bind($now)
        .bind($limit)
        .fetch_all(&mut *$tx)
        .await?;
        for job in &jobs {
            sqlx::query(RECORD_ATTEMPT)
                .bind(job.id)
                .bind(job.attempts)
                .bind($worker)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
        }
        $tx.commit().await?;
        jobs
    }};
}

/// Claims up to `limit` due jobs for `worker`, holding each until `now + lease`.
pub async fn claim(
    db: &Db,
    worker: &str,
    limit: i64,
    lease: Duration,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Job>> {
    let until = now + lease;
    let jobs = match db {
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            claim_in!(tx, " FOR UPDATE SKIP LOCKED", worker, until, now, limit)
        }
        Db::Sqlite(sqlite) => {
            let mut writer = sqlite.writer().await?;
            // BEGIN IMMEDIATE takes the write lock first, so the select and update are one step.
            let mut tx = sqlx::Connection::begin_with(&mut *writer, "BEGIN IMMEDIATE").await?;
            let claimed = claim_in!(tx, "", worker, until, now, limit);
            drop(writer);
            sqlite.flush_commits().await?;
            claimed
        }
    };
    Ok(jobs)
}

const RECORD_ATTEMPT: &str =
    "INSERT INTO job_attempts (job_id, attempt, worker, claimed_at) VALUES ($1, $2, $3, $4)";

/// Puts jobs whose lease expired back in line (or makes them dead letters when their
/// attempts are used up). Returns how many were rescued.
pub async fn rescue_expired(db: &Db, now: DateTime<Utc>) -> StoreResult<u64> {
    let affected = with_writer!(db, pool => sqlx::query(
        "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
         run_at = $1, locked_by = NULL, locked_until = NULL, last_error = 'lease expired', \
         updated_at = $1 WHERE status = 'running' AND locked_until < $1",
    )
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected());
    if affected > 0 {
        close_attempts(db, now, "lease expired").await?;
    }
    Ok(affected)
}

/// Closes audit rows of claims whose job no longer runs under that worker.
async fn close_attempts(db: &Db, now: DateTime<Utc>, outcome: &str) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query(
        "UPDATE job_attempts SET finished_at = $1, outcome = $2 WHERE finished_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_attempts.job_id \
         AND j.status = 'running' AND j.locked_by = job_attempts.worker)",
    )
    .bind(now)
    .bind(outcome)
    .execute(pool)
    .await
    .map(|_| ())?);
    Ok(())
}

/// Completes a job while `$3` (the worker) still holds its lease.
pub(crate) const FINISH_LEASED: &str = "UPDATE jobs SET status = 'done', finished_at = $1, \
     updated_at = $1, locked_by = NULL, locked_until = NULL, last_error = NULL \
     WHERE id = $2 AND locked_by = $3 AND status = 'running'";

/// Closes the claim record of one attempt with its outcome.
pub(crate) const FINISH_ATTEMPT: &str = "UPDATE job_attempts SET finished_at = $1, outcome = $2 \
     WHERE job_id = $3 AND attempt = $4 AND worker = $5 AND finished_at IS NULL";

/// A new pending job; binds kind, subject id, state, max attempts and the time.
pub(crate) const INSERT_JOB: &str =
    "INSERT INTO jobs (kind, report_id, state, status, attempts, max_attempts, run_at, \
     created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5, $5)";

/// Queues a `$kind` job for subject `$id` inside the caller's transaction `$tx`.
macro_rules! enqueue_in {
    ($tx:expr, $kind:expr, $id:expr, $state:expr, $max_attempts:expr, $at:expr) => {{
        sqlx::query($crate::store::jobs::INSERT_JOB)
            .bind($kind)
            .bind($id)
            .bind($state)
            .bind($max_attempts)
            .bind($at)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use enqueue_in;

/// On PostgreSQL, wakes the listening workers once `$tx` commits (not if it rolls back).
macro_rules! notify_workers_in {
    ($db:expr, $tx:expr) => {{
        if let $crate::store::Db::Postgres(_) = $db {
            sqlx::query("SELECT pg_notify($1, '')")
                .bind($crate::store::jobs::CHANNEL)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use notify_workers_in;

/// Completes a leased job and its claim record inside the caller's transaction `$tx`.
macro_rules! finish_leased_in {
    ($tx:expr, $job:expr, $worker:expr, $now:expr) => {{
        sqlx::query($crate::store::jobs::FINISH_LEASED)
            .bind($now)
            .bind($job.id)
            .bind($worker)
            .execute(&mut *$tx)
            .await?;
        sqlx::query($crate::store::jobs::FINISH_ATTEMPT)
            .bind($now)
            .bind("done")
            .bind($job.id)
            .bind($job.attempts)
            .bind($worker)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use finish_leased_in;

/// Pull receipts finish every open job of `kind` for the subject; the waiting job may run.
pub(crate) const FINISH_BY_RECEIPT: &str =
    "UPDATE jobs SET status = 'done', finished_at = $1, updated_at = $1, \
     locked_by = NULL, locked_until = NULL, last_error = NULL \
     WHERE report_id = $2 AND kind = $3 AND status <> 'done'";

/// After a receipt, inside the caller's transaction `$tx`: a push finishes its leased job
/// (`$lease` is `Some((job, worker))`), a pull receipt every open `$kind` job of `$id`.
macro_rules! finish_delivered_in {
    ($tx:expr, $lease:expr, $id:expr, $kind:expr, $now:expr) => {{
        match $lease {
            Some((job, worker)) => {
                $crate::store::jobs::finish_leased_in!($tx, job, worker, $now);
            }
            None => {
                sqlx::query($crate::store::jobs::FINISH_BY_RECEIPT)
                    .bind($now)
                    .bind($id)
                    .bind($kind)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
    }};
}
pub(crate) use finish_delivered_in;

async fn finish_attempt(
    db: &Db,
    job: &Job,
    worker: &str,
    now: DateTime<Utc>,
    outcome: &str,
) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query(FINISH_ATTEMPT)
    .bind(now)
    .bind(outcome)
    .bind(job.id)
    .bind(job.attempts)
    .bind(worker)
    .execute(pool)
    .await
    .map(|_| ())?);
    Ok(())
}

/// Runs `$sql` (binding `$1` now, `$2` the job, `$3` the worker, then `$extra`s) while the
/// worker still holds the job's lease, and closes the attempt with `$outcome`; gives the
/// number of jobs changed (0: the lease was lost to another worker).
macro_rules! end_lease {
    ($db:expr, $job:expr, $worker:expr, $now:expr, $sql:expr, $outcome:expr $(, $extra:expr)*) => {{
        let affected = with_writer!($db, pool => sqlx::query($sql)
            .bind($now)
            .bind($job.id)
            .bind($worker)
            $(.bind($extra))*
            .execute(pool)
            .await?
            .rows_affected());
        finish_attempt($db, $job, $worker, $now, $outcome).await?;
        affected
    }};
}

/// Marks the job done if the lease is still ours; false means another worker owns it now.
pub async fn finish(db: &Db, job: &Job, worker: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    Ok(end_lease!(db, job, worker, now, FINISH_LEASED, "done") == 1)
}

/// Parks the job until something outside the queue (a pull receipt) completes it.
pub async fn wait(db: &Db, job: &Job, worker: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let sql = "UPDATE jobs SET status = 'waiting', updated_at = $1, locked_by = NULL, \
         locked_until = NULL WHERE id = $2 AND locked_by = $3 AND status = 'running'";
    Ok(end_lease!(db, job, worker, now, sql, "waiting") == 1)
}

/// Records a failed attempt: retried at `retry_at`, or dead once its attempts are used up.
/// `error` must be free of personal data (it is shown to admins).
pub async fn fail(
    db: &Db,
    job: &Job,
    worker: &str,
    error: &str,
    retry_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Failed> {
    let dead = job.attempts >= job.max_attempts;
    let sql = "UPDATE jobs SET status = $4, run_at = $5, last_error = $6, updated_at = $1, \
         locked_by = NULL, locked_until = NULL, finished_at = CASE WHEN $4 = 'dead' THEN $1 END \
         WHERE id = $2 AND locked_by = $3 AND status = 'running'";
    let (status, outcome) = if dead {
        ("dead", "dead")
    } else {
        ("pending", "failed")
    };
    let affected = end_lease!(db, job, worker, now, sql, outcome, status, retry_at, error);
    Ok(match (affected, dead) {
        (0, _) => Failed::LeaseLost,
        (_, true) => Failed::Dead,
        (_, false) => Failed::Retrying { run_at: retry_at },
    })
}

/// Completes the job of `kind` for a report whatever its state (used by pull receipts).
pub async fn complete_for_report(
    db: &Db,
    report_id: i64,
    kind: JobKind,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let affected = with_writer!(db, pool => sqlx::query(
        "UPDATE jobs SET status = 'done', finished_at = $1, updated_at = $1, locked_by = NULL, \
         locked_until = NULL WHERE report_id = $2 AND kind = $3 AND status <> 'done'",
    )
    .bind(now)
    .bind(report_id)
    .bind(kind)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(affected > 0)
}

/// Puts a dead (or failed-and-waiting) job back in line with a fresh attempt budget.
/// Running and done jobs are left alone. Returns whether the job was requeued.
/// Puts one job back in line; `audit`, when given, commits with the change or neither does.
pub async fn requeue(
    db: &Db,
    job_id: i64,
    now: DateTime<Utc>,
    audit: Option<&Audited<'_>>,
) -> StoreResult<bool> {
    let (affected, head) = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let affected = sqlx::query(
            "UPDATE jobs SET status = 'pending', attempts = 0, run_at = $1, updated_at = $1, \
             finished_at = NULL WHERE id = $2 AND status IN ('dead', 'pending', 'waiting')",
        )
        .bind(now)
        .bind(job_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let head = crate::commit_audited!(tx, audit, affected == 1);
        (affected, head)
    });
    publish(head.as_ref());
    Ok(affected == 1)
}

/// Requeues every dead letter; returns how many.
pub async fn requeue_dead(db: &Db, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(with_writer!(db, pool => sqlx::query(
        "UPDATE jobs SET status = 'pending', attempts = 0, run_at = $1, updated_at = $1, \
         finished_at = NULL WHERE status = 'dead'",
    )
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected()))
}

/// Job rows matching `$filter` (`$1` = `$value`), fetched with `$fetch`.
macro_rules! job_rows {
    ($db:expr, $filter:literal, $value:expr, $fetch:ident) => {{
        let sql = format!("SELECT {JOB_ROW_COLUMNS} FROM jobs {}", $filter);
        Ok(with_db!($db, pool => sqlx::query_as::<_, JobRow>(&sql)
            .bind($value)
            .$fetch(pool)
            .await?))
    }};
}

/// Dead letters, newest first; `state` narrows to one state's jobs.
pub async fn dead_letters(db: &Db, state: Option<&str>) -> StoreResult<Vec<JobRow>> {
    job_rows!(
        db,
        "WHERE status = 'dead' AND ($1 IS NULL OR state = $1) ORDER BY updated_at DESC, id DESC",
        state,
        fetch_all
    )
}

pub async fn get(db: &Db, job_id: i64) -> StoreResult<Option<JobRow>> {
    job_rows!(db, "WHERE id = $1", job_id, fetch_optional)
}

pub async fn for_report(db: &Db, report_id: i64) -> StoreResult<Vec<JobRow>> {
    job_rows!(db, "WHERE report_id = $1 ORDER BY id", report_id, fetch_all)
}

/// Job counts by state, kind and status.
pub async fn counts(db: &Db) -> StoreResult<Vec<QueueCount>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, QueueCount>(
        "SELECT state, kind, status, COUNT(*) AS count FROM jobs \
         GROUP BY state, kind, status ORDER BY state, kind, status",
    )
    .fetch_all(pool)
    .await?))
}

/// Jobs a worker could run now or later (pending or running).
pub async fn open_count(db: &Db) -> StoreResult<i64> {
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')",
    )
    .fetch_one(pool)
    .await?))
}

/// The earliest time a pending job becomes due, if any.
pub async fn next_run_at(db: &Db) -> StoreResult<Option<DateTime<Utc>>> {
    let next: Option<Option<DateTime<Utc>>> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT run_at FROM jobs WHERE status = 'pending' ORDER BY run_at LIMIT 1",
    )
    .fetch_optional(pool)
    .await?);
    Ok(next.flatten())
}

/// Wakes workers of this process (SQLite has no NOTIFY; PostgreSQL instances get both).
pub fn notify_local() {
    local_wakeup().notify_waiters();
}

pub fn local_wakeup() -> &'static tokio::sync::Notify {
    static NOTIFY: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    NOTIFY.get_or_init(tokio::sync::Notify::new)
}
