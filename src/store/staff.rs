//! Staff accounts, server-side sessions, sign-in throttling, pull-API tokens, and the
//! report and queue queries behind the staff pages and the pull API.

use chrono::{DateTime, Duration, Utc};

use super::reports::{ReportRow, REPORT_COLUMNS};
use super::{Db, StoreResult};
use crate::state_code::StateCode;
use crate::{with_db, with_writer};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub state: Option<StateCode>,
    pub office: Option<String>,
}

/// Adds an account; `None` when the user name is taken.
pub async fn add_user(
    db: &Db,
    username: &str,
    password_hash: &str,
    role: &str,
    state: Option<&StateCode>,
    office: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    Ok(with_writer!(db, pool => sqlx::query_scalar::<_, i64>(
        "INSERT INTO staff_users (username, password_hash, role, state, office, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(username)
    .bind(password_hash)
    .bind(role)
    .bind(state)
    .bind(office)
    .bind(now)
    .fetch_optional(pool)
    .await?))
}

pub async fn user_by_name(db: &Db, username: &str) -> StoreResult<Option<UserRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, UserRow>(
        "SELECT id, username, password_hash, role, state, office FROM staff_users WHERE username = $1 \
         AND disabled_at IS NULL",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?))
}

/// A live session and its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub username: String,
    pub role: String,
    pub state: Option<StateCode>,
    pub office: Option<String>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn create_session(
    db: &Db,
    id_hash: &str,
    user_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query(
        "INSERT INTO staff_sessions (id, user_id, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await
    .map(|_| ())?);
    Ok(())
}

pub async fn session(db: &Db, id_hash: &str) -> StoreResult<Option<SessionRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, SessionRow>(
        "SELECT s.user_id, u.username, u.role, u.state, u.office, s.last_seen_at, s.expires_at \
         FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id WHERE s.id = $1 \
         AND u.disabled_at IS NULL",
    )
    .bind(id_hash)
    .fetch_optional(pool)
    .await?))
}

pub async fn touch_session(db: &Db, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query("UPDATE staff_sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn delete_session(db: &Db, id_hash: &str) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query("DELETE FROM staff_sessions WHERE id = $1")
        .bind(id_hash)
        .execute(pool)
        .await
        .map(|_| ())?);
    Ok(())
}

/// Deletes sessions past their absolute expiry or idle since before `idle_cutoff`.
pub async fn delete_expired_sessions(
    db: &Db,
    now: DateTime<Utc>,
    idle_cutoff: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(with_writer!(db, pool => sqlx::query(
        "DELETE FROM staff_sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
    )
    .bind(now)
    .bind(idle_cutoff)
    .execute(pool)
    .await?
    .rows_affected()))
}

/// Until when sign-ins under this throttle key are refused.
pub async fn locked_until(
    db: &Db,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<DateTime<Utc>>> {
    let until: Option<Option<DateTime<Utc>>> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT locked_until FROM sign_in_failures WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?);
    Ok(until.flatten().filter(|t| *t > now))
}

/// Longest wait a failed sign-in can impose on a key: the owner of a user name is slowed
/// down, never locked out.
pub const MAX_SIGN_IN_DELAY_SECS: i64 = 120;

/// The wait after `failures` failures when `max` are free: 4 s, 8 s, 16 s, ... capped.
pub fn sign_in_delay(failures: i64, max: i64) -> Option<Duration> {
    let over = failures.checked_sub(max)?;
    (over >= 0).then(|| {
        let secs = 4i64.saturating_mul(1i64 << over.min(16));
        Duration::seconds(secs.min(MAX_SIGN_IN_DELAY_SECS))
    })
}

/// Counts a failure inside `window`; from `max` failures on, each further failure makes
/// the key wait longer (`sign_in_delay`) before the next attempt is looked at.
pub async fn record_failure(
    db: &Db,
    key: &str,
    now: DateTime<Utc>,
    window: Duration,
    max: i64,
) -> StoreResult<()> {
    let window_cutoff = now - window;
    with_writer!(db, pool => {
        // One transaction: the count and the lock it implies land together.
        let mut tx = pool.begin().await?;
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_failures (key, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN sign_in_failures.window_start <= $3 THEN 1 \
                        ELSE sign_in_failures.failures + 1 END, \
             window_start = CASE WHEN sign_in_failures.window_start <= $3 THEN $2 \
                            ELSE sign_in_failures.window_start END \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(window_cutoff)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(delay) = sign_in_delay(failures, max) {
            sqlx::query("UPDATE sign_in_failures SET locked_until = $2 WHERE key = $1")
                .bind(key)
                .bind(now + delay)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

pub async fn clear_failures(db: &Db, key: &str) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
        .bind(key)
        .execute(pool)
        .await
        .map(|_| ())?);
    Ok(())
}

pub async fn add_token(
    db: &Db,
    token_hash: &str,
    state: &StateCode,
    name: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(with_writer!(db, pool => sqlx::query_scalar::<_, i64>(
        "INSERT INTO api_tokens (token_hash, state, name, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(token_hash)
    .bind(state)
    .bind(name)
    .bind(now)
    .fetch_one(pool)
    .await?))
}

/// (state, name) of an active token, looked up by its hash.
pub async fn token(db: &Db, token_hash: &str) -> StoreResult<Option<(StateCode, String)>> {
    Ok(
        with_db!(db, pool => sqlx::query_as::<_, (StateCode, String)>(
        "SELECT state, name FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?),
    )
}

/// Filters of the clerk list and the pull API; `state` None = every state (operator).
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub state: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub office: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Keyset paging: only ids above this.
    pub after_id: Option<i64>,
}

/// Reports matching `filter`, oldest first, `limit` of them after skipping `offset`.
pub async fn list_reports(
    db: &Db,
    filter: &ReportFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<ReportRow>> {
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM reports WHERE ($1 IS NULL OR state = $1) \
         AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR category = $3) \
         AND ($4 IS NULL OR office_id = $4) AND ($5 IS NULL OR submitted_at >= $5) \
         AND ($6 IS NULL OR submitted_at < $6) AND ($7 IS NULL OR id > $7) \
         ORDER BY id LIMIT $8 OFFSET $9"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, ReportRow>(&sql)
        .bind(filter.state.as_deref())
        .bind(filter.status.as_deref())
        .bind(filter.category.as_deref())
        .bind(filter.office.as_deref())
        .bind(filter.from)
        .bind(filter.until)
        .bind(filter.after_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?))
}

/// One line of the admin queue page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub case_number: String,
}

/// Jobs of a state that are not done: pending, retrying, running, waiting, dead.
pub async fn open_jobs(db: &Db, state: Option<&str>, limit: i64) -> StoreResult<Vec<QueueRow>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, QueueRow>(
        "SELECT j.id, j.kind, j.state, j.status, j.attempts, j.max_attempts, j.run_at, \
         j.last_error, r.case_number FROM jobs j JOIN reports r ON r.id = j.report_id \
         WHERE ($1 IS NULL OR j.state = $1) AND j.status <> 'done' \
         ORDER BY (j.status = 'dead') DESC, j.run_at LIMIT $2",
    )
    .bind(state)
    .bind(limit)
    .fetch_all(pool)
    .await?))
}

/// The state a job belongs to.
pub async fn job_state(db: &Db, job_id: i64) -> StoreResult<Option<StateCode>> {
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, StateCode>(
        "SELECT state FROM jobs WHERE id = $1",
    )
    .bind(job_id)
    .fetch_optional(pool)
    .await?))
}
