//! A process's workers and its escalation sweep, started together and stopped together.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Services, Worker};
use crate::delivery::escalation;

pub struct WorkerPool {
    shutdown: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
    worker_ids: Vec<String>,
}

impl WorkerPool {
    /// Spawns `count` workers and one escalation sweep on the current runtime.
    pub fn start(services: Arc<Services>, count: u32) -> WorkerPool {
        let (shutdown, receiver) = watch::channel(false);
        let mut handles = Vec::new();
        let mut worker_ids = Vec::new();
        for index in 0..count as usize {
            let worker = Worker::new(services.clone(), index);
            worker_ids.push(worker.id().to_string());
            let receiver = receiver.clone();
            handles.push(tokio::spawn(async move { worker.run(receiver).await }));
        }
        if count > 0 {
            let services = services.clone();
            let mut receiver = receiver.clone();
            handles.push(tokio::spawn(async move {
                // Escalation ages are minutes; once a minute is soon enough.
                let every = Duration::from_secs(60);
                loop {
                    if let Err(e) = escalation::sweep(
                        &services.db,
                        &services.settings,
                        services.directory.as_ref(),
                    )
                    .await
                    {
                        tracing::warn!(error = %e, "escalation sweep failed");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = receiver.changed() => {}
                    }
                    if *receiver.borrow() {
                        break;
                    }
                }
            }));
        }
        tracing::info!(workers = count, "queue workers started");
        WorkerPool {
            shutdown,
            handles,
            worker_ids,
        }
    }

    pub fn worker_ids(&self) -> &[String] {
        &self.worker_ids
    }

    /// Asks every worker to stop after its current batch and waits up to `grace`;
    /// jobs still running then are rescued by others once their lease expires.
    pub async fn stop(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let all = futures_util::future::join_all(self.handles);
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("workers did not stop in time; their leases will expire");
        }
    }
}
