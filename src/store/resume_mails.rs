//! The outbox of resume e-mails ("save and come back later"): the address and the draft
//! secret sealed for the mail worker, claimed with a lease, deleted once sent or expired.

use chrono::{DateTime, Duration, Utc};

use super::{Db, StoreResult};
use crate::state_code::StateCode;
use crate::{with_db, with_writer};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResumeMail {
    pub id: String,
    pub state: StateCode,
    pub language: String,
    /// Address and secret, sealed with the address key; associated data names the row.
    pub sealed: Vec<u8>,
    pub attempts: i64,
    pub expires_at: DateTime<Utc>,
}

pub struct NewResumeMail<'a> {
    pub id: &'a str,
    pub state: &'a StateCode,
    pub language: &'a str,
    pub sealed: &'a [u8],
    pub expires_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

pub async fn insert(db: &Db, new: &NewResumeMail<'_>) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query(
        "INSERT INTO resume_mails (id, state, language, sealed, run_at, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $5)",
    )
    .bind(new.id)
    .bind(new.state)
    .bind(new.language)
    .bind(new.sealed)
    .bind(new.now)
    .bind(new.expires_at)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Claims one due mail for `lease`, or `None`. The lease condition stands in the outer
/// `WHERE` too, so two workers racing for a row cannot both win it (PostgreSQL re-checks
/// it on the locked row; SQLite writes one at a time).
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    lease: Duration,
) -> StoreResult<Option<ResumeMail>> {
    const DUE: &str = "run_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)";
    let sql = format!(
        "UPDATE resume_mails SET locked_until = $2, attempts = attempts + 1 \
         WHERE {DUE} AND id = (SELECT id FROM resume_mails WHERE {DUE} ORDER BY run_at LIMIT 1) \
         RETURNING id, state, language, sealed, attempts, expires_at"
    );
    Ok(
        with_writer!(db, pool => sqlx::query_as::<_, ResumeMail>(&sql)
        .bind(now)
        .bind(now + lease)
        .fetch_optional(pool)
        .await?),
    )
}

/// Sent (or past its draft's expiry): the sealed address and secret go with the row.
pub async fn delete(db: &Db, id: &str) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query("DELETE FROM resume_mails WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// A failed attempt: try again at `retry_at`. `error` names no address.
pub async fn retry(db: &Db, id: &str, error: &str, retry_at: DateTime<Utc>) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query(
        "UPDATE resume_mails SET locked_until = NULL, run_at = $2, last_error = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(retry_at)
    .bind(error)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Every row, sealed blobs included, for tests and audits: `(id, sealed)`.
pub async fn all_sealed(db: &Db) -> StoreResult<Vec<(String, Vec<u8>)>> {
    Ok(with_db!(db, pool => sqlx::query_as::<_, (String, Vec<u8>)>(
        "SELECT id, sealed FROM resume_mails ORDER BY created_at",
    )
    .fetch_all(pool)
    .await?))
}
