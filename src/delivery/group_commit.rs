//! Group commit: writes that arrive while another batch is being committed wait and then
//! commit together, so concurrent callers share one transaction (one fsync) instead of one
//! each. No timer: a lone write commits at once. A caller's answer comes only after the
//! transaction holding its write has committed (or failed).

use std::future::Future;
use std::sync::Mutex;

use chrono::Utc;
use tokio::sync::oneshot;

use crate::store::delivery::{self as store, PushReceipt};
use crate::store::{Db, StoreError};

/// Batches items of type `T`; each caller gets its own `R` back.
pub struct GroupCommit<T, R> {
    queue: Mutex<Vec<(T, oneshot::Sender<R>)>>,
    /// Held by the one caller committing a batch (the leader) at a time.
    leader: tokio::sync::Mutex<()>,
    max_batch: usize,
}

impl<T, R> GroupCommit<T, R> {
    /// At most `max_batch` items share one transaction (keeps the write lock short).
    pub fn new(max_batch: usize) -> Self {
        GroupCommit {
            queue: Mutex::new(Vec::new()),
            leader: tokio::sync::Mutex::new(()),
            max_batch: max_batch.max(1),
        }
    }

    /// Queues `item` and returns its result once a batch holding it is done. `commit` writes
    /// a batch and answers each item in order (it runs in whichever caller leads). `None`:
    /// the leading caller was cancelled before it answered.
    pub async fn submit<F, Fut>(&self, item: T, commit: F) -> Option<R>
    where
        F: Fn(Vec<T>) -> Fut,
        Fut: Future<Output = Vec<R>>,
    {
        let (reply, mut answer) = oneshot::channel();
        self.queue().push((item, reply));
        loop {
            let _leader = self.leader.lock().await;
            // A leader before us may have committed ours already.
            match answer.try_recv() {
                Ok(result) => return Some(result),
                Err(oneshot::error::TryRecvError::Closed) => return None,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let (items, replies): (Vec<T>, Vec<_>) = {
                let mut queue = self.queue();
                let n = queue.len().min(self.max_batch);
                queue.drain(..n).unzip()
            };
            if !items.is_empty() {
                for (reply, result) in replies.into_iter().zip(commit(items).await) {
                    let _ = reply.send(result);
                }
            }
            match answer.try_recv() {
                Ok(result) => return Some(result),
                Err(oneshot::error::TryRecvError::Closed) => return None,
                // Ours was beyond this batch's limit: lead the next one.
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<(T, oneshot::Sender<R>)>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Commits the workers' push receipts (one per process, in `Services`). When a batch fails,
/// each of its receipts is retried on its own, so one that cannot be stored does not fail
/// the others.
pub struct ReceiptWriter(GroupCommit<PushReceipt, Result<bool, StoreError>>);

impl Default for ReceiptWriter {
    fn default() -> Self {
        ReceiptWriter(GroupCommit::new(64))
    }
}

impl ReceiptWriter {
    pub fn new() -> ReceiptWriter {
        ReceiptWriter::default()
    }

    /// Stores `receipt` with its leased job; returns once it is committed (true: first
    /// receipt for its subject).
    pub async fn record(&self, db: &Db, receipt: PushReceipt) -> Result<bool, StoreError> {
        self.0
            .submit(receipt, |batch| commit_receipts(db, batch))
            .await
            .unwrap_or_else(|| Err(StoreError::Sqlx(sqlx::Error::WorkerCrashed)))
    }
}

async fn commit_receipts(db: &Db, batch: Vec<PushReceipt>) -> Vec<Result<bool, StoreError>> {
    match store::record_push_receipts(db, &batch, Utc::now()).await {
        Ok(firsts) => firsts.into_iter().map(Ok).collect(),
        Err(e) if batch.len() == 1 => vec![Err(e)],
        Err(_) => {
            let mut results = Vec::with_capacity(batch.len());
            for receipt in &batch {
                results.push(
                    store::record_push_receipts(db, std::slice::from_ref(receipt), Utc::now())
                        .await
                        .map(|firsts| firsts.first().copied().unwrap_or(false)),
                );
            }
            results
        }
    }
}
