//! Registered form versions. Rows are immutable apart from their retirement.

use chrono::{DateTime, Utc};

use super::audit::{publish, Audited};
use super::{Db, StoreResult};
use crate::state_code::StateCode;
use crate::{with_db, with_writer};

/// One registered version of a form variant, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FormVersionRow {
    pub state: String,
    pub form_id: String,
    pub version: i64,
    pub content_hash: String,
    pub category: String,
    /// The resolved variant as JSON.
    pub definition: String,
    pub origin: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// What to register.
#[derive(Debug, Clone)]
pub struct NewFormVersion<'a> {
    pub state: &'a str,
    pub form_id: &'a str,
    pub version: i64,
    pub content_hash: &'a str,
    pub category: &'a str,
    pub definition: &'a str,
    pub origin: Origin,
    pub created_by: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    File,
    Upload,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Upload => "upload",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    Registered,
    /// The same (state, form, version, hash) is already known.
    Unchanged,
    /// The version exists with other content: a changed file must get a new version.
    Conflict {
        stored_hash: String,
    },
}

const COLUMNS: &str = "state, form_id, version, content_hash, category, definition, origin, \
                       created_at, created_by, retired_at";

/// Registers a version unless it is known; refuses changed content under an old number.
/// Registers a version; `audit`, when given, is appended in the same transaction as the
/// insert (and only when the insert happened).
pub async fn register(
    db: &Db,
    new: &NewFormVersion<'_>,
    now: DateTime<Utc>,
    audit: Option<&Audited<'_>>,
) -> StoreResult<Registration> {
    if let Some(existing) = get(db, new.state, new.form_id, new.version).await? {
        return Ok(if existing.content_hash == new.content_hash {
            Registration::Unchanged
        } else {
            Registration::Conflict {
                stored_hash: existing.content_hash,
            }
        });
    }
    let (inserted, head) = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO form_versions (state, form_id, version, content_hash, category, definition, \
             origin, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (state, form_id, version) DO NOTHING",
        )
        .bind(new.state)
        .bind(new.form_id)
        .bind(new.version)
        .bind(new.content_hash)
        .bind(new.category)
        .bind(new.definition)
        .bind(new.origin.as_str())
        .bind(now)
        .bind(new.created_by)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let head = crate::commit_audited!(tx, audit, inserted == 1);
        (inserted, head)
    });
    publish(head.as_ref());
    if inserted == 1 {
        return Ok(Registration::Registered);
    }
    // Lost a race with another instance: judge against what it stored.
    let stored = get(db, new.state, new.form_id, new.version).await?;
    Ok(match stored {
        Some(row) if row.content_hash == new.content_hash => Registration::Unchanged,
        Some(row) => Registration::Conflict {
            stored_hash: row.content_hash,
        },
        None => Registration::Unchanged,
    })
}

pub async fn get(
    db: &Db,
    state: &str,
    form_id: &str,
    version: i64,
) -> StoreResult<Option<FormVersionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM form_versions WHERE state = $1 AND form_id = $2 AND version = $3"
    );
    Ok(
        with_db!(db, pool => sqlx::query_as::<_, FormVersionRow>(&sql)
        .bind(state)
        .bind(form_id)
        .bind(version)
        .fetch_optional(pool)
        .await?),
    )
}

/// The version new drafts start on: the highest one, unless that one is retired.
pub async fn live(db: &Db) -> StoreResult<Vec<FormVersionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM form_versions f WHERE version = \
         (SELECT MAX(version) FROM form_versions g WHERE g.state = f.state AND g.form_id = f.form_id) \
         AND retired_at IS NULL ORDER BY state, form_id"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, FormVersionRow>(&sql).fetch_all(pool).await?))
}

/// Every version of one state's forms, newest first, for the admin pages.
pub async fn all_for_state(db: &Db, state: &str) -> StoreResult<Vec<FormVersionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM form_versions WHERE state = $1 ORDER BY form_id, version DESC"
    );
    Ok(
        with_db!(db, pool => sqlx::query_as::<_, FormVersionRow>(&sql)
        .bind(state)
        .fetch_all(pool)
        .await?),
    )
}

/// The highest version number of a form, retired or not.
pub async fn max_version(db: &Db, state: &str, form_id: &str) -> StoreResult<Option<i64>> {
    Ok(with_db!(db, pool => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(version) FROM form_versions WHERE state = $1 AND form_id = $2",
    )
    .bind(state)
    .bind(form_id)
    .fetch_one(pool)
    .await?))
}

/// Retires the live version of a form; drafts and reports pinned to it keep it.
/// Retires every version of a form; the audit entry commits with it, or neither does.
pub async fn retire(
    db: &Db,
    state: &str,
    form_id: &str,
    now: DateTime<Utc>,
    audit: &Audited<'_>,
) -> StoreResult<bool> {
    let head = with_writer!(db, pool => {
        let mut tx = pool.begin().await?;
        let affected = sqlx::query(
            "UPDATE form_versions SET retired_at = $3 WHERE state = $1 AND form_id = $2 \
             AND retired_at IS NULL",
        )
        .bind(state)
        .bind(form_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        crate::commit_audited!(tx, Some(audit), affected > 0)
    });
    Ok(publish(head.as_ref()))
}

/// (state, form id, version) of every live form; cheap enough to ask on each request, so
/// a publication through any instance is seen by all at once.
pub async fn live_keys(db: &Db) -> StoreResult<Vec<(StateCode, String, i64)>> {
    Ok(
        with_db!(db, pool => sqlx::query_as::<_, (StateCode, String, i64)>(
        "SELECT state, form_id, version FROM form_versions f WHERE version = \
         (SELECT MAX(version) FROM form_versions g WHERE g.state = f.state AND g.form_id = f.form_id) \
         AND retired_at IS NULL ORDER BY state, form_id",
    )
    .fetch_all(pool)
    .await?),
    )
}
