//! The append-only audit log. Appends are serialised (PostgreSQL: transaction-scoped
//! advisory lock; SQLite: `BEGIN IMMEDIATE`), so concurrent writers never fork the chain.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::crypto::audit_chain::{AuditKey, ChainEntry, GENESIS_MAC};
use crate::with_db;

/// Advisory lock id of audit appends (arbitrary, fixed).
pub const AUDIT_LOCK: i64 = 0x0069_7761_7564_6974;

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

/// An audit entry to append inside the transaction of the action it records, so both
/// commit together or not at all.
#[derive(Debug, Clone)]
pub struct Audited<'a> {
    pub key: &'a AuditKey,
    pub entry: NewAuditEntry<'a>,
    pub now: DateTime<Utc>,
}

/// The chain's newest entry: what an operator stores elsewhere to detect a cut tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub id: i64,
    pub mac: String,
}

impl std::str::FromStr for ChainHead {
    type Err = String;

    /// `SEQ:MAC`, as `audit head` prints it and each append logs it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, mac) = s
            .trim()
            .split_once(':')
            .ok_or("a head is SEQ:MAC, e.g. 17:3f9a...")?;
        let id: i64 = id
            .parse()
            .ok()
            .filter(|id| *id > 0)
            .ok_or("SEQ must be a positive number")?;
        if mac.len() != 64 || !mac.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("MAC must be 64 hex digits".into());
        }
        Ok(ChainHead {
            id,
            mac: mac.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for ChainHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.id, self.mac)
    }
}

/// Writes the head to the log after each committed append, so a log shipper keeps
/// a copy the database cannot take back (`audit verify --head`).
pub fn publish_head(head: &ChainHead) {
    tracing::info!(audit_head = %head, "audit chain head");
}

/// True for a PostgreSQL transaction (its appends take the advisory lock).
pub fn is_postgres<DB: sqlx::Database>(_: &sqlx::Transaction<'_, DB>) -> bool {
    DB::NAME == "PostgreSQL"
}

/// Appends `$audited` (an `&Audited`) inside the open transaction `$tx` of either engine;
/// evaluates to `Result<ChainHead, sqlx::Error>`. On PostgreSQL it takes the audit append
/// lock first; always last in a transaction, so it cannot deadlock with the action's rows.
/// On SQLite the transaction must already hold the write lock (the action wrote first, or
/// it began with `BEGIN IMMEDIATE`).
#[macro_export]
macro_rules! append_audit_in {
    ($tx:ident, $audited:expr) => {{
        async {
            let audited: &$crate::store::audit::Audited<'_> = $audited;
            if $crate::store::audit::is_postgres(&$tx) {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind($crate::store::audit::AUDIT_LOCK)
                    .execute(&mut *$tx)
                    .await?;
            }
            let last: Option<(i64, String)> =
                sqlx::query_as("SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *$tx)
                    .await?;
            let (id, prev_mac) = match last {
                Some((id, mac)) => (id + 1, mac),
                None => (1, $crate::crypto::audit_chain::GENESIS_MAC.to_owned()),
            };
            let at = audited
                .now
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let new = &audited.entry;
            let entry = $crate::crypto::audit_chain::ChainEntry {
                id,
                at: &at,
                actor: new.actor,
                action: new.action,
                state: new.state,
                object: new.object,
            };
            let mac = audited.key.mac(&prev_mac, &entry);
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
            Ok::<_, sqlx::Error>($crate::store::audit::ChainHead { id, mac })
        }
        .await
    }};
}

/// Ends the transaction `$tx` of an audited action: appends `$audited` (an
/// `Option<&Audited>`) when `$changed` holds, then commits. Evaluates to the new head, if any;
/// hand it to `publish` after the commit.
#[macro_export]
macro_rules! commit_audited {
    ($tx:ident, $audited:expr, $changed:expr) => {{
        let head = match $audited {
            Some(audited) if $changed => Some($crate::append_audit_in!($tx, audited)?),
            _ => None,
        };
        $tx.commit().await?;
        head
    }};
}

/// Publishes the head a committed action appended; true when there was one.
pub fn publish(head: Option<&ChainHead>) -> bool {
    head.map(publish_head).is_some()
}

/// Appends one entry on its own (for events that change nothing else: sign-in, download).
pub async fn append(
    db: &Db,
    key: &AuditKey,
    new: &NewAuditEntry<'_>,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let audited = Audited {
        key,
        entry: new.clone(),
        now,
    };
    let head = match db {
        Db::Sqlite(sqlite) => {
            let mut writer = sqlite.writer().await?;
            // Reads the last entry before writing: take the write lock up front.
            let mut tx = sqlx::Connection::begin_with(&mut *writer, "BEGIN IMMEDIATE").await?;
            let head = crate::append_audit_in!(tx, &audited)?;
            tx.commit().await?;
            drop(writer);
            sqlite.flush_commits().await?;
            head
        }
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let head = crate::append_audit_in!(tx, &audited)?;
            tx.commit().await?;
            head
        }
    };
    publish_head(&head);
    Ok(head.id)
}

/// The newest entry, or `None` while the log is empty.
pub async fn head(db: &Db) -> StoreResult<Option<ChainHead>> {
    let row: Option<(i64, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?);
    Ok(row.map(|(id, mac)| ChainHead { id, mac }))
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
    #[error("audit log does not reach the head {head}: entries were cut off the end (or the head is not from this log)")]
    Tail { head: ChainHead },
}

/// Checks the whole chain and that it still contains `head`, published earlier: cutting
/// entries off the end, which the chain alone cannot show, is detected.
pub fn verify_reaches(
    key: &AuditKey,
    rows: &[AuditRow],
    head: &ChainHead,
) -> Result<usize, ChainBreak> {
    let n = verify_chain(key, rows)?;
    let reached = rows
        .iter()
        .any(|row| row.id == head.id && row.mac == head.mac);
    if !reached {
        return Err(ChainBreak::Tail { head: head.clone() });
    }
    Ok(n)
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
