//! The append-only audit log. Appends are serialised (PostgreSQL: transaction-scoped
//! advisory lock; SQLite: `BEGIN IMMEDIATE`), so concurrent writers never fork the chain.

use chrono::{DateTime, SecondsFormat, Utc};

use super::{Db, StoreResult};
use crate::crypto::audit_chain::{AuditKey, ChainEntry, GENESIS_MAC};
use crate::with_db;

/// Advisory lock id of audit appends (arbitrary, fixed).
const AUDIT_LOCK: i64 = 0x0069_7761_7564_6974;

/// One stored entry. Never carries citizens' personal data: actors are staff names or
/// token names, objects are case numbers, form ids and job ids.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub state: Option<String>,
    pub object: Option<String>,
    pub prev_mac: String,
    pub mac: String,
}

impl AuditRow {
    pub fn entry(&self) -> ChainEntry<'_> {
        ChainEntry {
            id: self.id,
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            state: self.state.as_deref(),
            object: self.object.as_deref(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub state: Option<&'a str>,
    pub object: Option<&'a str>,
}

const COLUMNS: &str = "id, at, actor, action, state, object, prev_mac, mac";

/// Appends one entry to the chain; returns its id.
pub async fn append(
    db: &Db,
    key: &AuditKey,
    new: &NewAuditEntry<'_>,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let at = now.to_rfc3339_opts(SecondsFormat::Micros, true);
    macro_rules! body {
        ($tx:ident) => {{
            let last: Option<(i64, String)> =
                sqlx::query_as("SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *$tx)
                    .await?;
            let (id, prev_mac) = match last {
                Some((id, mac)) => (id + 1, mac),
                None => (1, GENESIS_MAC.to_owned()),
            };
            let entry = ChainEntry {
                id,
                at: &at,
                actor: new.actor,
                action: new.action,
                state: new.state,
                object: new.object,
            };
            let mac = key.mac(&prev_mac, &entry);
            sqlx::query(
                "INSERT INTO audit_log (id, at, actor, action, state, object, prev_mac, mac) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(&at)
            .bind(new.actor)
            .bind(new.action)
            .bind(new.state)
            .bind(new.object)
            .bind(&prev_mac)
            .bind(&mac)
            .execute(&mut *$tx)
            .await?;
            $tx.commit().await?;
            Ok(id)
        }};
    }
    match db {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            body!(tx)
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(AUDIT_LOCK)
                .execute(&mut *tx)
                .await?;
            body!(tx)
        }
    }
}

/// Every entry in chain order.
pub async fn all(db: &Db) -> StoreResult<Vec<AuditRow>> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY id");
    Ok(with_db!(db, pool => sqlx::query_as::<_, AuditRow>(&sql).fetch_all(pool).await?))
}

/// The newest entries of one state (or of all, for `None`), newest first.
pub async fn recent(db: &Db, state: Option<&str>, limit: i64) -> StoreResult<Vec<AuditRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE ($1 IS NULL OR state = $1) ORDER BY id DESC LIMIT $2"
    );
    Ok(with_db!(db, pool => sqlx::query_as::<_, AuditRow>(&sql)
        .bind(state)
        .bind(limit)
        .fetch_all(pool)
        .await?))
}

/// Why the chain is broken, naming the first entry that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("audit log broken at entry {id}: an entry before it is missing")]
    Gap { id: i64 },
    #[error("audit log broken at entry {id}: it does not follow the entry before it")]
    Link { id: i64 },
    #[error("audit log broken at entry {id}: its content was changed")]
    Mac { id: i64 },
}

/// Checks the whole chain; returns the number of entries.
pub fn verify_chain(key: &AuditKey, rows: &[AuditRow]) -> Result<usize, ChainBreak> {
    let mut prev_mac = GENESIS_MAC.to_owned();
    for (expected_id, row) in (1..).zip(rows) {
        if row.id != expected_id {
            return Err(ChainBreak::Gap { id: row.id });
        }
        if row.prev_mac != prev_mac {
            return Err(ChainBreak::Link { id: row.id });
        }
        if !key.verify(&prev_mac, &row.entry(), &row.mac) {
            return Err(ChainBreak::Mac { id: row.id });
        }
        prev_mac = row.mac.clone();
    }
    Ok(rows.len())
}
