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

/// The flush queue of one SQLite database file.
#[derive(Debug)]
pub struct WalSync {
    wal: PathBuf,
    /// Tickets taken by writers after their commit.
    committed: AtomicU64,
    /// Every ticket up to this one is on disk.
    synced: AtomicU64,
    /// One flush at a time; the queue is fair, so the next flush covers everyone waiting.
    flushing: tokio::sync::Mutex<()>,
    /// Flushes done, for tests and `/metrics`-style inspection.
    flushes: AtomicU64,
}

impl WalSync {
    /// For the database file `database` (its WAL is `<database>-wal`).
    pub fn new(database: &Path) -> WalSync {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        WalSync {
            wal: PathBuf::from(wal),
            committed: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            flushing: tokio::sync::Mutex::new(()),
            flushes: AtomicU64::new(0),
        }
    }

    /// Returns once everything this task committed before the call is on disk.
    pub async fn after_commit(&self) -> io::Result<()> {
        let ticket = self.committed.fetch_add(1, Ordering::SeqCst) + 1;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let _turn = self.flushing.lock().await;
        // A flush that began after our ticket may have finished while we queued.
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        // Every ticket taken so far belongs to a commit that has finished: this flush
        // covers them all.
        let covers = self.committed.load(Ordering::SeqCst);
        let wal = self.wal.clone();
        tokio::task::spawn_blocking(move || flush(&wal))
            .await
            .map_err(io::Error::other)??;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        self.synced.fetch_max(covers, Ordering::SeqCst);
        Ok(())
    }

    /// How many flushes ran so far.
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
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
