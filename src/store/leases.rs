//! Pool connections kept between uses by the hot statements of requests.
//!
//! sqlx pings every connection handed back to its pool before anyone may take it again: a
//! round trip per statement (a hop to the connection's thread on SQLite, a network round
//! trip on PostgreSQL). A lease that ends normally keeps its connection here instead, for
//! the next lease. One that ends by an error or a cancellation, or inside a transaction,
//! hands it back to the pool, whose ping then flushes what it may have left behind (a
//! queued rollback, unread results) or closes it.
//!
//! At most `limit` leases run at once, queued in arrival order (a lease never bypasses
//! one waiting). What the leases keep idle here is out of the pool's reach: leave the pool
//! enough beyond `limit` for its other users. Used for SQLite's hot reads, whose
//! connections cost a thread each; on PostgreSQL the workers' `LISTEN`s hold pool
//! connections for good, and leases beside them left the workers waiting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Connection, Database, Pool};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::StoreResult;

/// A connection idle here this long goes back to the pool, which tests it before reuse
/// (on PostgreSQL it may have been cut meanwhile).
const KEEP_IDLE: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Leases<DB: Database> {
    pool: Pool<DB>,
    idle: Mutex<Vec<(PoolConnection<DB>, Instant)>>,
    /// One per lease running; `None` where the pool has no connection to spare (every
    /// lease then borrows from the pool and hands back).
    permits: Option<Semaphore>,
    closed: AtomicBool,
}

/// One statement's (or one transaction's) connection; `done` keeps it for the next lease.
pub struct Lease<'a, DB: Database> {
    leases: &'a Leases<DB>,
    conn: Option<PoolConnection<DB>>,
    _permit: Option<SemaphorePermit<'a>>,
}

impl<DB: Database> Leases<DB> {
    /// Leases over `pool`, at most `limit` at once.
    pub fn new(pool: Pool<DB>, limit: usize) -> Self {
        Leases {
            pool,
            idle: Mutex::new(Vec::new()),
            permits: (limit > 0).then(|| Semaphore::new(limit)),
            closed: AtomicBool::new(false),
        }
    }

    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// Waits in line (at most the pool's acquire timeout) for a connection.
    pub async fn lease(&self) -> StoreResult<Lease<'_, DB>> {
        let Some(permits) = &self.permits else {
            return Ok(Lease {
                leases: self,
                conn: Some(self.pool.acquire().await?),
                _permit: None,
            });
        };
        let wait = self.pool.options().get_acquire_timeout();
        let permit = match tokio::time::timeout(wait, permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(sqlx::Error::PoolClosed.into()),
            Err(_) => return Err(sqlx::Error::PoolTimedOut.into()),
        };
        let mut conn = None;
        while let Some((idle, since)) = self.take_idle() {
            if since.elapsed() < KEEP_IDLE {
                conn = Some(idle);
                break;
            }
        }
        let conn = match conn {
            Some(conn) => conn,
            None => self.pool.acquire().await?,
        };
        Ok(Lease {
            leases: self,
            conn: Some(conn),
            _permit: Some(permit),
        })
    }

    fn take_idle(&self) -> Option<(PoolConnection<DB>, Instant)> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    /// Connections idle here (for `/metrics`).
    pub fn num_idle(&self) -> usize {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Hands every idle connection back and keeps none from now on; the pool's `close`
    /// waits for connections still out.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        drop(idle);
    }
}

impl<DB: Database> Lease<'_, DB> {
    pub fn conn(&mut self) -> &mut DB::Connection {
        self.conn
            .as_deref_mut()
            .expect("a lease holds its connection until it ends")
    }

    /// The statements finished: the connection is fit for the next lease, unless it still
    /// has a transaction or a queued rollback (then the pool's ping settles it).
    pub fn done(mut self) {
        let keep = self._permit.is_some()
            && !self.leases.closed.load(Ordering::Acquire)
            && self
                .conn
                .as_deref()
                .is_some_and(|c| !c.is_in_transaction() && !c.should_flush());
        if let (true, Some(conn)) = (keep, self.conn.take()) {
            self.leases
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((conn, Instant::now()));
        }
        // Otherwise the connection drops with the lease: back to the pool, which pings it.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use sqlx::Sqlite;

    fn pool(max: u32) -> Pool<Sqlite> {
        SqlitePoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with(SqliteConnectOptions::new().in_memory(true))
    }

    async fn one(conn: &mut sqlx::SqliteConnection) -> i64 {
        sqlx::query_scalar("SELECT 1")
            .fetch_one(conn)
            .await
            .expect("select")
    }

    #[tokio::test]
    async fn a_finished_lease_is_reused_and_an_abandoned_one_goes_back_to_the_pool() {
        let leases = Leases::new(pool(1), 1);
        let mut lease = leases.lease().await.expect("lease");
        assert_eq!(one(lease.conn()).await, 1);
        lease.done();
        assert_eq!(leases.num_idle(), 1, "kept by the leases");

        // Taken again from the leases: the pool's one connection was never handed back.
        let mut lease = leases.lease().await.expect("lease");
        assert_eq!(leases.num_idle(), 0);
        assert_eq!(leases.pool().size(), 1);
        assert_eq!(one(lease.conn()).await, 1);
        // Ended without `done` (an error or a cancellation): the pool gets it back, so
        // its one connection can be acquired (it would time out were it still held).
        drop(lease);
        let mut conn = leases.pool().acquire().await.expect("back in the pool");
        assert_eq!(one(&mut conn).await, 1);
    }

    #[tokio::test]
    async fn leases_beyond_the_limit_wait_in_line_and_the_pool_keeps_the_rest() {
        let leases = std::sync::Arc::new(Leases::new(pool(3), 1));
        let first = leases.lease().await.expect("lease");
        let second = {
            let leases = leases.clone();
            tokio::spawn(async move {
                let mut lease = leases.lease().await.expect("lease");
                let value = one(lease.conn()).await;
                lease.done();
                value
            })
        };
        // Meanwhile the pool still hands out its other two connections.
        let pool = leases.pool().clone();
        let mut c1 = pool.acquire().await.expect("pool connection");
        let mut c2 = pool.acquire().await.expect("pool connection");
        assert_eq!(one(&mut c1).await + one(&mut c2).await, 2);
        drop((c1, c2));
        assert!(
            !second.is_finished(),
            "the second lease waits for the first"
        );
        first.done();
        assert_eq!(second.await.expect("second lease"), 1);
        assert_eq!(leases.num_idle(), 1, "the one connection kept");

        leases.close();
        assert_eq!(leases.num_idle(), 0);
        leases.lease().await.expect("lease after close").done();
        assert_eq!(leases.num_idle(), 0, "nothing kept after close");
        tokio::time::timeout(Duration::from_secs(5), pool.close())
            .await
            .expect("the pool closes: no connection is left out");
    }

    #[tokio::test]
    async fn a_lease_left_inside_a_transaction_goes_back_to_the_pool() {
        let leases = Leases::new(pool(2), 2);
        let mut lease = leases.lease().await.expect("lease");
        // A holder that lost its `Transaction` without a rollback (as a cancelled one can).
        let tx = lease.conn().begin().await.expect("begin");
        std::mem::forget(tx);
        assert!(lease.conn().is_in_transaction());
        lease.done();
        assert_eq!(leases.num_idle(), 0, "not kept for the next lease");
        let mut conn = leases.pool().acquire().await.expect("pool connection");
        assert_eq!(one(&mut conn).await, 1);
    }
}
