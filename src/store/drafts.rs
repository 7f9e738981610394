//! Server-side drafts: sealed payloads keyed by the hash of the cookie token.

use crate::reports::case_number::CaseNumber;
use crate::state_code::StateCode;
use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::{with_lease, with_owned_writer, with_writer};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub id: String,
    pub state: StateCode,
    pub form_id: String,
    pub form_version: i64,
    pub payload: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub idle_expires_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub case_number: Option<CaseNumber>,
}

impl DraftRow {
    /// The moment the draft stops being usable: idle or absolute expiry, whichever is first.
    pub fn expires(&self) -> DateTime<Utc> {
        self.idle_expires_at.min(self.expires_at)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires()
    }
}

#[derive(Debug, Clone)]
pub struct NewDraft<'a> {
    pub id: &'a str,
    pub state: &'a StateCode,
    pub form_id: &'a str,
    pub form_version: i64,
    pub payload: &'a [u8],
    pub now: DateTime<Utc>,
    pub idle_expires_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(db: &Db, new: &NewDraft<'_>) -> StoreResult<()> {
    let (id, state, form_id, form_version, payload) = (
        new.id.to_owned(),
        new.state.clone(),
        new.form_id.to_owned(),
        new.form_version,
        new.payload.to_vec(),
    );
    let (now, idle_expires_at, expires_at) = (new.now, new.idle_expires_at, new.expires_at);
    with_owned_writer!(db, conn => {
        sqlx::query(
            "INSERT INTO drafts (id, state, form_id, form_version, payload, created_at, \
             updated_at, idle_expires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
        )
        .bind(id)
        .bind(state)
        .bind(form_id)
        .bind(form_version)
        .bind(payload)
        .bind(now)
        .bind(idle_expires_at)
        .bind(expires_at)
        .execute(conn)
        .await?;
        Ok(())
    })
}

pub async fn get(db: &Db, id: &str) -> StoreResult<Option<DraftRow>> {
    Ok(with_lease!(db, conn => sqlx::query_as::<_, DraftRow>(
        "SELECT id, state, form_id, form_version, payload, created_at, updated_at, \
         idle_expires_at, expires_at, case_number FROM drafts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?))
}

/// Binds `$1` id, `$2` payload, `$3` now, `$4` idle expiry; a submitted draft is frozen.
const SAVE_PAYLOAD: &str = "UPDATE drafts SET payload = $2, updated_at = $3, \
                            idle_expires_at = $4 WHERE id = $1 AND case_number IS NULL";

/// Saves new answers and pushes the idle expiry out (never past the absolute one).
/// A submitted draft is frozen: returns false and changes nothing.
pub async fn update(
    db: &Db,
    id: &str,
    payload: &[u8],
    now: DateTime<Utc>,
    idle_expires_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let (id, payload) = (id.to_owned(), payload.to_vec());
    let affected = with_owned_writer!(db, conn => Ok(sqlx::query(SAVE_PAYLOAD)
        .bind(id)
        .bind(payload)
        .bind(now)
        .bind(idle_expires_at)
        .execute(conn)
        .await?
        .rows_affected()))?;
    Ok(affected == 1)
}

/// A new evidence file of a draft, sealed under the draft's key.
#[derive(Clone)]
pub struct NewDraftFile {
    pub id: String,
    pub size: i64,
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for NewDraftFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewDraftFile({} bytes)", self.size)
    }
}

/// Like [`update`], and in the same transaction stores the draft's new files and deletes
/// the ones its payload no longer names: a file row and the payload naming it are never
/// apart. A submitted draft is frozen: returns false and stores nothing.
pub async fn update_with_files(
    db: &Db,
    id: &str,
    payload: &[u8],
    now: DateTime<Utc>,
    idle_expires_at: DateTime<Utc>,
    added: Vec<NewDraftFile>,
    removed: Vec<String>,
) -> StoreResult<bool> {
    let (id, payload) = (id.to_owned(), payload.to_vec());
    with_owned_writer!(db, conn => {
        let mut tx = conn.begin().await?;
        let affected = sqlx::query(SAVE_PAYLOAD)
            .bind(&id)
            .bind(payload)
            .bind(now)
            .bind(idle_expires_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if affected != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for file in added {
            sqlx::query(
                "INSERT INTO draft_files (draft_id, id, size, sealed) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(file.id)
            .bind(file.size)
            .bind(file.sealed)
            .execute(&mut *tx)
            .await?;
        }
        for file_id in removed {
            sqlx::query("DELETE FROM draft_files WHERE draft_id = $1 AND id = $2")
                .bind(&id)
                .bind(file_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// The sealed evidence files of a draft: (file id, sealed bytes).
pub async fn files(db: &Db, draft_id: &str) -> StoreResult<Vec<(String, Vec<u8>)>> {
    let files = with_lease!(db, conn => sqlx::query_as::<_, (String, Vec<u8>)>(
        "SELECT id, sealed FROM draft_files WHERE draft_id = $1",
    )
    .bind(draft_id)
    .fetch_all(conn)
    .await?);
    Ok(files)
}

/// Saves the payload and keeps the draft until `until` (idle and absolute expiry alike):
/// the citizen saved it for later. A submitted draft is frozen: returns false.
pub async fn keep_until(
    db: &Db,
    id: &str,
    payload: &[u8],
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<bool> {
    let affected = with_writer!(db, pool => sqlx::query(
        "UPDATE drafts SET payload = $2, updated_at = $3, idle_expires_at = $4, expires_at = $4 \
         WHERE id = $1 AND case_number IS NULL",
    )
    .bind(id)
    .bind(payload)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await?
    .rows_affected());
    Ok(affected == 1)
}

pub async fn delete(db: &Db, id: &str) -> StoreResult<()> {
    with_writer!(db, pool => sqlx::query("DELETE FROM drafts WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    Ok(())
}

/// Hard-deletes every draft past its idle or absolute expiry; returns how many.
pub async fn delete_expired(db: &Db, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(with_writer!(db, pool => sqlx::query(
        "DELETE FROM drafts WHERE idle_expires_at <= $1 OR expires_at <= $1",
    )
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected()))
}
