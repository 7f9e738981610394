//! The one SQLite connection that writes.
//!
//! Writers take it in turn behind a fair lock (`SqliteWriter::lock`). A writer that holds it
//! runs on its own task, which under load waits behind every other ready request on its
//! actix worker each time a statement returns: the connection then sits idle for most of
//! the time it is held, and every write queues behind that. Small writes whose data the
//! caller owns therefore run on a thread of their own instead (`SqliteWriter::run`, used
//! through `with_owned_writer!`): it takes the connection once for all writes queued at that
//! moment and runs them back to back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use std::panic::AssertUnwindSafe;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::ConnectOptions;
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreResult};

/// How long a write waits in line for the writer before it fails (as a pool's acquire
/// timeout would).
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// At most this many queued jobs run in one turn of the writer thread.
const RUN_LIMIT: usize = 64;

pub type WriterGuard<'a> = tokio::sync::MappedMutexGuard<'a, SqliteConnection>;

type Job = Box<
    dyn for<'c> FnOnce(Result<&'c mut SqliteConnection, StoreError>) -> BoxFuture<'c, ()> + Send,
>;

/// The connection, opened lazily like the pools; shared with the writer thread.
#[derive(Debug)]
struct Connection {
    options: SqliteConnectOptions,
    /// tokio's mutex is fair: writers get the connection in the order they asked.
    conn: tokio::sync::Mutex<Option<SqliteConnection>>,
    closed: AtomicBool,
}

impl Connection {
    async fn lock(&self) -> StoreResult<WriterGuard<'_>> {
        let mut conn = tokio::time::timeout(WRITER_WAIT, self.conn.lock())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed.into());
        }
        if let Some(open) = conn.as_mut() {
            if sqlx::Connection::is_in_transaction(open) {
                // A dropped `Transaction` queues its rollback; a round trip lets it run.
                let _ = sqlx::Connection::ping(open).await;
            }
            if sqlx::Connection::is_in_transaction(open) {
                // A holder cancelled between its BEGIN and the `Transaction` that would roll
                // it back: every later write would land in that transaction and be lost.
                tracing::error!("the SQLite writer was left inside a transaction; reopening it");
                if let Some(stale) = conn.take() {
                    let _ = sqlx::Connection::close(stale).await;
                }
            }
        }
        if conn.is_none() {
            *conn = Some(self.options.connect().await?);
        }
        tokio::sync::MutexGuard::try_map(conn, Option::as_mut)
            .map_err(|_| StoreError::Sqlx(sqlx::Error::PoolClosed))
    }
}

#[derive(Debug)]
pub struct SqliteWriter {
    connection: Arc<Connection>,
    /// The writer thread's queue, started on first use; the thread ends when this goes.
    jobs: OnceLock<Option<mpsc::UnboundedSender<Job>>>,
}

impl SqliteWriter {
    pub fn new(options: SqliteConnectOptions) -> SqliteWriter {
        SqliteWriter {
            connection: Arc::new(Connection {
                options,
                conn: tokio::sync::Mutex::new(None),
                closed: AtomicBool::new(false),
            }),
            jobs: OnceLock::new(),
        }
    }

    /// Waits in line for the connection. Hold the guard only for the statements.
    pub async fn lock(&self) -> StoreResult<WriterGuard<'_>> {
        self.connection.lock().await
    }

    /// Runs `work` on the writer thread and returns its result. `work` owns what it binds.
    /// Cancelling the caller does not cancel a write already queued.
    pub async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                // The caller gave up (its request timed out) before its turn: write nothing,
                // as a cancelled write on PostgreSQL would.
                if reply.is_closed() {
                    return;
                }
                let result = match conn {
                    // A panicking write fails alone (its caller sees the reply dropped); the
                    // thread goes on with the next.
                    Ok(conn) => match AssertUnwindSafe(work(conn)).catch_unwind().await {
                        Ok(result) => result,
                        Err(_) => return,
                    },
                    Err(e) => Err(e),
                };
                let _ = reply.send(result);
            })
        });
        let gone = || StoreError::Sqlx(sqlx::Error::WorkerCrashed);
        self.sender()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    fn sender(&self) -> Option<&mpsc::UnboundedSender<Job>> {
        self.jobs
            .get_or_init(|| {
                let (send, receive) = mpsc::unbounded_channel();
                let connection = self.connection.clone();
                std::thread::Builder::new()
                    .name("sqlite-writer".into())
                    .spawn(move || writer_thread(connection, receive))
                    .map_err(
                        |e| tracing::error!(error = %e, "cannot start the SQLite writer thread"),
                    )
                    .ok()
                    .map(|_| send)
            })
            .as_ref()
    }

    /// Closes the connection; later writes fail.
    pub async fn close(&self) {
        let conn = {
            let mut conn = self.connection.conn.lock().await;
            self.connection.closed.store(true, Ordering::Release);
            conn.take()
        };
        if let Some(conn) = conn {
            let _ = sqlx::Connection::close(conn).await;
        }
    }

    /// (open, idle) connections, for `/metrics`.
    pub fn state(&self) -> (u32, usize) {
        match self.connection.conn.try_lock() {
            Ok(conn) => (u32::from(conn.is_some()), usize::from(conn.is_some())),
            Err(_) => (1, 0),
        }
    }
}

/// Takes the connection for each run of queued jobs and runs them in order; the lock is
/// given up between runs, so writers outside this thread get their turn.
fn writer_thread(connection: Arc<Connection>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the SQLite writer thread's runtime");
            return;
        }
    };
    runtime.block_on(async move {
        while let Some(first) = jobs.recv().await {
            match connection.lock().await {
                Ok(mut conn) => {
                    first(Ok(&mut conn)).await;
                    for _ in 1..RUN_LIMIT {
                        let Ok(next) = jobs.try_recv() else { break };
                        next(Ok(&mut conn)).await;
                    }
                }
                Err(e) => first(Err(e)).await,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(dir: &std::path::Path) -> SqliteWriter {
        SqliteWriter::new(
            SqliteConnectOptions::new()
                .filename(dir.join("w.db"))
                .create_if_missing(true),
        )
    }

    async fn create_table(w: &SqliteWriter) {
        w.run(|conn| {
            Box::pin(async move {
                sqlx::query("CREATE TABLE t (n INTEGER)")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await
        .unwrap();
    }

    async fn count(w: &SqliteWriter) -> StoreResult<i64> {
        w.run(|conn| {
            Box::pin(async move {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM t")
                    .fetch_one(conn)
                    .await?)
            })
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_all_land_and_a_panicking_one_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let w = Arc::new(writer(dir.path()));
        create_table(&w).await;
        let mut tasks = Vec::new();
        for n in 0..50i64 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                w.run(move |conn| {
                    Box::pin(async move {
                        sqlx::query("INSERT INTO t (n) VALUES ($1)")
                            .bind(n)
                            .execute(conn)
                            .await?;
                        Ok(())
                    })
                })
                .await
            }));
        }
        // A write through the lock takes its turn between the thread's runs.
        {
            let mut conn = w.lock().await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES (-1)")
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(count(&w).await.unwrap(), 51);

        let panicked = w
            .run::<(), _>(|_conn| Box::pin(async move { panic!("a write that panics") }))
            .await;
        assert!(panicked.is_err());
        assert_eq!(
            count(&w).await.unwrap(),
            51,
            "the thread goes on after a panic"
        );

        w.close().await;
        assert!(matches!(
            count(&w).await,
            Err(StoreError::Sqlx(sqlx::Error::PoolClosed))
        ));
    }

    #[tokio::test]
    async fn a_writer_left_inside_a_transaction_is_reopened_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path());
        create_table(&w).await;
        {
            // What a holder cancelled between its BEGIN and its `Transaction` leaves behind.
            let mut conn = w.lock().await.unwrap();
            let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
            sqlx::query("INSERT INTO t (n) VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
            std::mem::forget(tx);
        }
        w.run(|conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (n) VALUES (2)")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await
        .unwrap();
        // Another connection sees the later write committed, and the stranded one gone.
        let mut other = SqliteConnectOptions::new()
            .filename(dir.path().join("w.db"))
            .connect()
            .await
            .unwrap();
        let rows: Vec<i64> = sqlx::query_scalar("SELECT n FROM t")
            .fetch_all(&mut other)
            .await
            .unwrap();
        assert_eq!(rows, vec![2]);
    }
}
