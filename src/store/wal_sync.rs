//! Group commit for SQLite's writer: its connection commits with `synchronous=NORMAL` (the
//! WAL is written, not yet flushed), and every write then waits here until one `fdatasync`
//! of the WAL file that began after its commit has finished. Concurrent writers share that
//! flush, so 64 saves cost a few flushes instead of 64, and each still returns only once
//! its commit is on disk: the guarantee of `synchronous=FULL`, paid once per group.
//!
//! Why the WAL file alone suffices: with NORMAL, SQLite flushes the WAL before every
//! checkpoint and the database file after it, so a commit is either in the WAL we flush or
//! already in a flushed database file (and when the WAL file is gone, a checkpoint on close
//! flushed everything).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use tokio::sync::oneshot;

/// The flush queue of one SQLite database file. The flushes run on a thread of their own:
/// a flush led by a request's task waited, twice per flush, behind every other ready
/// request on its worker, and every write waited for that.
#[derive(Debug)]
pub struct WalSync {
    shared: Arc<Shared>,
    /// The flusher thread, started on first use; `false` if it could not be started.
    started: OnceLock<bool>,
}

#[derive(Debug)]
struct Shared {
    wal: PathBuf,
    queue: Mutex<Queue>,
    work: Condvar,
    /// Flushes done, for tests and `/metrics`-style inspection.
    flushes: AtomicU64,
}

#[derive(Debug, Default)]
struct Queue {
    /// Writers whose commit has finished, waiting for a flush that begins after it.
    waiting: Vec<oneshot::Sender<io::Result<()>>>,
    closed: bool,
}

impl WalSync {
    /// For the database file `database` (its WAL is `<database>-wal`).
    pub fn new(database: &Path) -> WalSync {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        WalSync {
            shared: Arc::new(Shared {
                wal: PathBuf::from(wal),
                queue: Mutex::new(Queue::default()),
                work: Condvar::new(),
                flushes: AtomicU64::new(0),
            }),
            started: OnceLock::new(),
        }
    }

    /// Returns once everything this task committed before the call is on disk.
    pub async fn after_commit(&self) -> io::Result<()> {
        if !self.start() {
            // No flusher thread: flush on the blocking pool, alone.
            let shared = self.shared.clone();
            return tokio::task::spawn_blocking(move || shared.flush())
                .await
                .map_err(io::Error::other)?;
        }
        let (done, flushed) = oneshot::channel();
        self.shared.queue().waiting.push(done);
        self.shared.work.notify_one();
        flushed
            .await
            .map_err(|_| io::Error::other("the WAL flusher stopped"))?
    }

    fn start(&self) -> bool {
        *self.started.get_or_init(|| {
            let shared = self.shared.clone();
            std::thread::Builder::new()
                .name("sqlite-wal-sync".into())
                .spawn(move || shared.run())
                .map_err(|e| tracing::error!(error = %e, "cannot start the WAL flusher thread"))
                .is_ok()
        })
    }

    /// How many flushes ran so far.
    pub fn flushes(&self) -> u64 {
        self.shared.flushes.load(Ordering::Relaxed)
    }
}

impl Drop for WalSync {
    fn drop(&mut self) {
        self.shared.queue().closed = true;
        self.shared.work.notify_one();
    }
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every writer queued when a flush begins committed before it: that flush covers them.
    fn run(&self) {
        loop {
            let waiting = {
                let mut queue = self.queue();
                while queue.waiting.is_empty() && !queue.closed {
                    queue = self.work.wait(queue).unwrap_or_else(|p| p.into_inner());
                }
                if queue.waiting.is_empty() {
                    return;
                }
                std::mem::take(&mut queue.waiting)
            };
            let result = self.flush();
            for done in waiting {
                let answer = match &result {
                    Ok(()) => Ok(()),
                    Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                };
                let _ = done.send(answer);
            }
        }
    }

    fn flush(&self) -> io::Result<()> {
        let result = flush(&self.wal);
        self.flushes.fetch_add(1, Ordering::Relaxed);
        result
    }
}

fn flush(wal: &Path) -> io::Result<()> {
    match std::fs::File::open(wal) {
        Ok(file) => file.sync_data(),
        // No WAL: the last connection checkpointed it into the (flushed) database file.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_writer_returns_once_a_flush_after_its_commit_ran() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        let sync = Arc::new(WalSync::new(&db));
        let wal = dir.path().join("x.db-wal");
        std::fs::write(&wal, b"").unwrap();
        let mut tasks = Vec::new();
        for i in 0..64u8 {
            let (sync, wal) = (sync.clone(), wal.clone());
            tasks.push(tokio::spawn(async move {
                let mut f = std::fs::OpenOptions::new().append(true).open(&wal)?;
                f.write_all(&[i])?;
                sync.after_commit().await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(std::fs::read(&wal).unwrap().len(), 64);
        let flushes = sync.flushes();
        assert!((1..=64).contains(&flushes), "{flushes} flushes");
        // A later commit is never covered by an earlier flush.
        let before = sync.flushes();
        sync.after_commit().await.unwrap();
        assert_eq!(sync.flushes(), before + 1);
    }

    #[tokio::test]
    async fn a_missing_wal_counts_as_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let sync = WalSync::new(&dir.path().join("gone.db"));
        sync.after_commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_wal_that_cannot_be_opened_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        // A database "file" under a regular file: its WAL cannot be opened.
        let file = dir.path().join("plain");
        std::fs::write(&file, b"x").unwrap();
        let sync = WalSync::new(&file.join("db"));
        assert!(sync.after_commit().await.is_err());
    }
}
