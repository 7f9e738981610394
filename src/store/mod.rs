//! Storage: SQLite (embedded default) and PostgreSQL behind one interface.
//!
//! Each query is written once and runs on whichever pool the URL scheme chose: the
//! `with_db!` macro expands the same body for both concrete pool types, so the SQL and the
//! Rust around it cannot drift apart. Where the engines need different SQL (queue claims),
//! the two arms are written out side by side.
//!
//! SQLite allows one writer at a time. Writes go through `with_writer!`, which on SQLite
//! takes the one writer connection behind a fair lock: writers queue instead of polling
//! SQLite's lock with growing sleeps (its busy handler), which made the slowest saves wait
//! hundreds of milliseconds under load. It is a plain connection, not a pool of one: a
//! pooled connection goes back through a task spawned on the releasing worker plus a ping,
//! so under load the single writer sat idle for most of the time it was held. Reads keep
//! the shared pool; on SQLite the hot ones lease its connections (`with_lease!`, `leases`)
//! to skip the pool's ping (a thread hop) on every release.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Sqlite};
use std::sync::Arc;

use crate::config::DatabaseUrl;
use futures_util::future::BoxFuture;
use leases::Leases;
use sqlite_writer::{SqliteWriter, WriterGuard};

pub mod audit;
pub mod delivery;
pub mod drafts;
pub mod followups;
pub mod forms;
pub mod inbox;
pub mod inbox_followups;
pub mod inbox_retention;
pub mod jobs;
pub mod leases;
pub mod reports;
pub mod resume_mails;
pub mod retention;
pub mod sqlite_writer;
pub mod staff;
pub mod staff_admin;
pub mod status_codes;
pub mod status_events;
pub mod text_column;
pub mod wal_sync;

/// Runs `$body` with `$pool` bound to the concrete pool of whichever engine is in use.
/// For reads; on SQLite a write here works too, but waits on SQLite's lock instead of in
/// the writer queue (see `with_writer!`).
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                let $pool = sqlite.reader();
                $body
            }
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// Like `with_db!` for one hot read (or a few, through `$conn` in turn): on SQLite `$conn`
/// is a leased `&mut SqliteConnection` (`leases`), kept for the next lease if the body runs
/// to its end, handed back to the pool if it returns early (`?`); on PostgreSQL a pooled
/// `&mut PgConnection`.
#[macro_export]
macro_rules! with_lease {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                let mut lease = sqlite.reads().lease().await?;
                let value = {
                    let $conn: &mut sqlx::SqliteConnection = lease.conn();
                    $body
                };
                lease.done();
                value
            }
            $crate::store::Db::Postgres(pool) => {
                let mut pooled = pool.acquire().await?;
                let $conn: &mut sqlx::PgConnection = &mut *pooled;
                $body
            }
        }
    };
}

/// Like `with_db!`, for statements and transactions that write: on SQLite `$pool` is the
/// one writer connection (`&mut SqliteConnection`), and the macro returns only once the
/// commit is flushed to disk (`wal_sync`, shared with concurrent writers; the connection is
/// released before that wait). The body must not wait for another write of its own (that
/// would wait for the connection it holds), and uses `$pool` once or through a transaction.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                #[allow(unused_imports)]
                use sqlx::Connection as _;
                let written = {
                    let mut writer = sqlite.writer().await?;
                    let $pool: &mut sqlx::SqliteConnection = &mut *writer;
                    $body
                };
                sqlite.flush_commits().await?;
                written
            }
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// Like `with_writer!` for a body that owns everything it binds (it is moved): on SQLite it
/// runs on the writer's own thread (`sqlite_writer`), back to back with other queued
/// writes. The body evaluates to a `StoreResult`, which the macro returns once the commit
/// is flushed; `$conn` is `&mut SqliteConnection` or `&PgPool`. For short hot writes.
#[macro_export]
macro_rules! with_owned_writer {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                #[allow(unused_imports)]
                use sqlx::Connection as _;
                let written = sqlite
                    .run_on_writer(move |$conn| ::std::boxed::Box::pin(async move { $body }))
                    .await;
                sqlite.flush_commits().await?;
                written
            }
            $crate::store::Db::Postgres($conn) => {
                let written: $crate::store::StoreResult<_> = async move { $body }.await;
                written
            }
        }
    };
}

/// A PostgreSQL connection idle this long is pinged before it is used again.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A pool on one of the two engines.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// One SQLite database: a pool for reads and one connection for writes, whose commits are
/// flushed in groups (`wal_sync`).
#[derive(Clone, Debug)]
pub struct SqliteDb {
    reads: Arc<Leases<Sqlite>>,
    writer: std::sync::Arc<SqliteWriter>,
    /// `None` for an in-memory database (nothing to flush); its writer then commits FULL.
    wal: Option<std::sync::Arc<wal_sync::WalSync>>,
}

impl SqliteDb {
    /// Waits until every commit of the writer so far is on disk.
    pub async fn flush_commits(&self) -> StoreResult<()> {
        match &self.wal {
            Some(wal) => wal
                .after_commit()
                .await
                .map_err(|e| StoreError::Sqlx(sqlx::Error::Io(e))),
            None => Ok(()),
        }
    }

    pub fn reader(&self) -> &SqlitePool {
        self.reads.pool()
    }

    pub fn reads(&self) -> &Leases<Sqlite> {
        &self.reads
    }

    /// Waits in line for the writer connection (opened on first use). Hold the guard only
    /// for the statements, not for `flush_commits`.
    pub async fn writer(&self) -> StoreResult<WriterGuard<'_>> {
        self.writer.lock().await
    }

    /// Runs `work` on the writer's own thread (see `sqlite_writer`); does not wait for
    /// the flush.
    pub async fn run_on_writer<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        self.writer.run(work).await
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database cannot be set up; `what` says what to do, `source` why.
    #[error("{what}")]
    Setup {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("stored data is inconsistent: {what}")]
    Corrupt {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    pub(crate) fn setup(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Setup {
            what: what.into(),
            source: Box::new(source),
        }
    }

    pub(crate) fn corrupt(
        what: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            source: Box::new(source),
        }
    }

    /// PostgreSQL broke a deadlock or a serialization conflict by rolling this
    /// transaction back: running it again is the documented remedy.
    pub(crate) fn is_retryable_conflict(&self) -> bool {
        matches!(self, StoreError::Sqlx(sqlx::Error::Database(e))
            if matches!(e.code().as_deref(), Some("40P01" | "40001")))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

impl Db {
    /// Opens a pool without requiring the database to answer yet: the service must start,
    /// render pages and report "not ready" while PostgreSQL is down.
    pub fn connect_lazy(url: &DatabaseUrl, max_connections: u32) -> StoreResult<Db> {
        match url {
            DatabaseUrl::Sqlite(raw) => {
                let options = sqlite_options(raw)?;
                let file = options.get_filename().to_path_buf();
                if let Some(parent) = file.parent() {
                    if !parent.as_os_str().is_empty() {
                        crate::private_files::create_dir(parent).map_err(|e| {
                            StoreError::setup(
                                format!(
                                    "cannot create the database directory {}",
                                    parent.display()
                                ),
                                e,
                            )
                        })?;
                    }
                }
                // `:memory:` and friends have no file to protect.
                let in_memory = raw.contains(":memory:") || raw.contains("mode=memory");
                if !in_memory {
                    crate::private_files::prepare_database_file(&file).map_err(|e| {
                        StoreError::setup(
                            format!(
                                "cannot create the database file {} (mode 0600)",
                                file.display()
                            ),
                            e,
                        )
                    })?;
                }
                // No ping before each use: an embedded connection cannot drop, and the ping is
                // a round trip to the connection's thread on every query.
                let reader = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .connect_lazy_with(options.clone());
                // The writer's commits are flushed by `wal_sync` (FULL's guarantee, shared);
                // the readers keep FULL for the few writes not yet moved to the writer.
                let (writer, wal) = if in_memory {
                    (options.clone(), None)
                } else {
                    (
                        options.clone().synchronous(SqliteSynchronous::Normal),
                        Some(std::sync::Arc::new(wal_sync::WalSync::new(&file))),
                    )
                };
                Ok(Db::Sqlite(SqliteDb {
                    reads: Arc::new(Leases::new(reader, lease_limit(max_connections))),
                    writer: std::sync::Arc::new(SqliteWriter::new(writer)),
                    wal,
                }))
            }
            DatabaseUrl::Postgres(raw) => {
                let options = pg_options(raw)?;
                // A ping costs a round trip per query; only a connection idle for a while
                // (perhaps cut meanwhile) is pinged before use, and replaced if it is dead.
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(5))
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for < PING_AFTER_IDLE {
                                return Ok(true);
                            }
                            Ok(sqlx::Connection::ping(conn).await.is_ok())
                        })
                    })
                    .connect_lazy_with(options);
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(_) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Creates the PostgreSQL database when it does not exist yet; a no-op on SQLite,
    /// where the file is created on first connect.
    pub async fn ensure_database(url: &DatabaseUrl) -> StoreResult<()> {
        let DatabaseUrl::Postgres(raw) = url else {
            return Ok(());
        };
        let options = pg_options(raw)?;
        match options.connect().await {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
                let name = options.get_database().unwrap_or("postgres").to_string();
                let admin = options.clone().database("postgres");
                let mut conn = admin.connect().await.map_err(|e| {
                    StoreError::setup(
                        format!("database {name:?} does not exist and the server refused to create it; run: createdb {name}"),
                        e,
                    )
                })?;
                let sql = format!("CREATE DATABASE {}", quote_ident(&name));
                match sqlx::query(&sql).execute(&mut conn).await {
                    Ok(_) => {
                        tracing::info!(database = %name, "created the PostgreSQL database");
                        Ok(())
                    }
                    // Another instance created it at the same moment.
                    Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => Ok(()),
                    Err(e) => Err(StoreError::setup(
                        format!("database {name:?} does not exist and could not be created; run: createdb {name}"),
                        e,
                    )),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Applies the embedded migrations of this engine.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(sqlite) => {
                let mut writer = sqlite.writer().await?;
                sqlx::migrate!("migrations/sqlite")
                    .run_direct(&mut *writer)
                    .await?
            }
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Answers whether the database responds, within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let query = async {
            with_lease!(self, conn => {
                sqlx::query("SELECT 1").execute(conn).await?;
            });
            Ok::<(), StoreError>(())
        };
        matches!(tokio::time::timeout(timeout, query).await, Ok(Ok(())))
    }

    /// (open connections, idle connections) for `/metrics`.
    pub fn pool_state(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(sqlite) => {
                let (open, idle) = sqlite.writer.state();
                let reader = sqlite.reader();
                let idle = idle + reader.num_idle() + sqlite.reads.num_idle();
                (reader.size() + open, idle)
            }
            Db::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => {
                sqlite.writer.close().await;
                sqlite.reads.close();
                sqlite.reader().close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// How many reader connections the hot reads may keep: half the pool, rounded down, so
/// the other half stays free for every other read (a pool of one keeps none).
fn lease_limit(max_connections: u32) -> usize {
    (max_connections / 2) as usize
}

fn sqlite_options(raw: &str) -> StoreResult<SqliteConnectOptions> {
    let options = SqliteConnectOptions::from_str(raw)
        .map_err(|e| StoreError::setup("invalid SQLite URL", e))?;
    // These pragmas are applied on every new connection of the pool. FULL: a commit (and so a
    // case number shown) survives power loss, not only a crash of the process; WAL alone
    // with NORMAL may lose the last transactions. The cost is measured in the README.
    Ok(options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true))
}

fn pg_options(raw: &str) -> StoreResult<PgConnectOptions> {
    PgConnectOptions::from_str(raw).map_err(|e| StoreError::setup("invalid PostgreSQL URL", e))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With a pool of one, a lease must not keep the only reader connection from the
    /// other reads.
    #[tokio::test]
    async fn a_single_reader_connection_is_never_kept_from_the_other_reads() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(format!("sqlite://{}/one.db", dir.path().display()));
        let db = Db::connect_lazy(&url, 1).unwrap();
        assert!(db.ping(Duration::from_secs(5)).await, "a leased read");
        let other = async {
            with_db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT 2").fetch_one(pool).await)
        };
        let value = tokio::time::timeout(Duration::from_secs(5), other)
            .await
            .expect("the other read got the connection")
            .expect("select");
        assert_eq!(value, 2);
        db.close().await;
    }
}
