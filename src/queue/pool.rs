//! A process's workers and its sweeps (escalation, retention), started together and stopped
//! together.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Services, Worker};
use crate::delivery::escalation;
use crate::retention;

pub struct WorkerPool {
    shutdown: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
    worker_ids: Vec<String>,
}

impl WorkerPool {
    /// Spawns `count` workers, one escalation sweep and one retention sweep.
    pub fn start(services: Arc<Services>, count: u32) -> WorkerPool {
        let (shutdown, receiver) = watch::channel(false);
        let mut handles = Vec::new();
        let mut worker_ids = Vec::new();
        for index in 0..count as usize {
            let worker = Arc::new(Worker::new(services.clone(), index));
            worker_ids.push(worker.id().to_string());
            let receiver = receiver.clone();
            handles.push(tokio::spawn(async move { worker.run(receiver).await }));
        }
        if count > 0 {
            // Escalation ages are minutes; once a minute is soon enough.
            let sweeper = services.clone();
            handles.push(periodic(
                Duration::from_secs(60),
                receiver.clone(),
                move || {
                    let services = sweeper.clone();
                    async move {
                        if let Err(e) = escalation::sweep(
                            &services.db,
                            &services.settings,
                            services.directory.as_ref(),
                        )
                        .await
                        {
                            tracing::warn!(error = %e, "escalation sweep failed");
                        }
                    }
                },
            ));
            // Retention days are days; one sweep per instance and interval, and on PostgreSQL
            // one instance at a time (the others find the lock taken and skip). Zero leaves
            // the sweep to `internetwache retention run` from the operator's scheduler.
            let minutes = services.settings.retention_sweep_minutes;
            if minutes == 0 {
                tracing::info!("background retention sweep off (IW_RETENTION_SWEEP_MINUTES=0)");
            } else {
                let every = Duration::from_secs(60 * u64::from(minutes));
                let sweeper = services.clone();
                handles.push(periodic(every, receiver.clone(), move || {
                let services = sweeper.clone();
                async move {
                    if let Err(e) = retention::sweep(
                        &services.db,
                        &services.settings,
                        services.directory.as_ref(),
                        chrono::Utc::now(),
                        false,
                    )
                    .await
                    {
                        tracing::warn!(error = %crate::telemetry::error_chain(&e), "retention sweep failed");
                    }
                }
            }));
            }
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

    /// Asks every worker to stop claiming, lets its running jobs finish, waits up to `grace`;
    /// jobs still running then are rescued by others once their lease expires.
    pub async fn stop(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let all = futures_util::future::join_all(self.handles);
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("workers did not stop in time; their leases will expire");
        }
    }
}

/// Runs `tick` now and then every `every`, until shutdown is signalled. Also the inbox's
/// retention sweep.
pub fn periodic<F, Fut>(
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
    tick: F,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        loop {
            tick().await;
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    })
}
