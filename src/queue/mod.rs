//! The job queue's workers (lease model): claim due jobs, run them outside the claiming
//! transaction, finish or fail them only while the lease is ours; expired leases are
//! rescued; failures are retried with capped exponential backoff and full jitter until
//! `IW_JOB_MAX_ATTEMPTS`, then kept as dead letters.

pub mod backoff;
pub mod metrics;
pub mod pool;
pub mod services;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use crate::delivery::{self, Delivered, Parcel};
use crate::mail::{self, confirmation::Sent};
use crate::store::jobs::{self, Failed, Job, JobKind, CHANNEL};
use crate::store::resume_mails;
use crate::store::{Db, StoreError};
pub use pool::WorkerPool;
pub use services::Services;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Delivery(#[from] delivery::DeliveryError),
    #[error(transparent)]
    Mail(#[from] mail::MailError),
    /// A job only the police inbox runs (on its own database) turned up here.
    #[error("a {0} job belongs to the police inbox, not to the intake")]
    NotHere(JobKind),
}

/// What to do with a job after its handler returned successfully.
enum Next {
    /// The handler completed the job together with its own writes.
    Completed,
    Finish,
    Wait,
}

/// One worker. Several may run in one process and across processes.
pub struct Worker {
    id: String,
    services: Arc<Services>,
    /// When this worker last looked for expired leases (a write; not on every poll).
    last_rescue: std::sync::Mutex<Option<std::time::Instant>>,
}

/// How often one worker looks for expired leases.
const RESCUE_EVERY: Duration = Duration::from_secs(1);

impl Worker {
    pub fn new(services: Arc<Services>, index: usize) -> Worker {
        let suffix = crate::crypto::generate_token()
            .map(|t| t[..6].to_string())
            .unwrap_or_default();
        Worker {
            // The pid lets operators (and the crash test) find the process holding a lease.
            id: format!("w{}-{index}-{suffix}", std::process::id()),
            services,
            last_rescue: std::sync::Mutex::new(None),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn db(&self) -> &Db {
        &self.services.db
    }

    /// Rescues expired leases, claims one batch of due jobs and runs it.
    /// Returns how many jobs were claimed.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let settings = &self.services.settings;
        let now = Utc::now();
        self.rescue_if_due(now).await?;
        let lease = chrono::Duration::seconds(settings.job_lease_secs as i64);
        let claimed = jobs::claim(
            self.db(),
            &self.id,
            i64::from(settings.job_batch),
            lease,
            now,
        )
        .await?;
        let count = claimed.len();
        join_all(claimed.into_iter().map(|job| self.execute(job))).await;
        let resume_mails = self.send_resume_mails(lease).await?;
        Ok(count + resume_mails)
    }

    /// Sends due resume e-mails ("save and come back later"); they live in their own outbox
    /// because they belong to a draft, not to a report. Returns how many were claimed.
    async fn send_resume_mails(&self, lease: chrono::Duration) -> Result<usize, StoreError> {
        let s = &*self.services;
        let mut claimed = 0;
        while claimed < s.settings.job_batch as usize {
            let now = Utc::now();
            let Some(mail) = resume_mails::claim(self.db(), now, lease).await? else {
                break;
            };
            claimed += 1;
            if mail.expires_at <= now || mail.attempts > i64::from(s.settings.job_max_attempts) {
                // The draft is gone, or the mail never went out: the secret goes too.
                resume_mails::delete(self.db(), &mail.id).await?;
                tracing::warn!(state = %mail.state, attempts = mail.attempts, "resume e-mail dropped unsent");
                continue;
            }
            let sent = mail::resume::send(
                &s.mailer,
                s.directory.as_ref(),
                &s.keyring,
                &s.settings,
                &mail,
                now,
            )
            .await;
            match sent {
                Ok(()) => resume_mails::delete(self.db(), &mail.id).await?,
                Err(e) => {
                    let delay = backoff::delay(
                        mail.attempts,
                        Duration::from_millis(s.settings.job_backoff_base_ms),
                        Duration::from_secs(s.settings.job_backoff_cap_secs),
                    );
                    let retry_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    let message = crate::telemetry::error_chain(&e);
                    tracing::warn!(state = %mail.state, attempt = mail.attempts, error = %message,
                        "resume e-mail failed; will retry");
                    resume_mails::retry(self.db(), &mail.id, &message, retry_at).await?;
                }
            }
        }
        Ok(claimed)
    }

    async fn rescue_if_due(&self, now: chrono::DateTime<Utc>) -> Result<(), StoreError> {
        if self.rescue_due() {
            let rescued = jobs::rescue_expired(self.db(), now).await?;
            if rescued > 0 {
                tracing::warn!(rescued, "rescued jobs whose lease expired");
            }
        }
        Ok(())
    }

    fn rescue_due(&self) -> bool {
        let mut last = self.last_rescue.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|t| t.elapsed() >= RESCUE_EVERY);
        if due {
            *last = Some(std::time::Instant::now());
        }
        due
    }

    /// Runs batches until no job is due right now (jobs waiting for a retry stay).
    pub async fn run_until_empty(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    #[tracing::instrument(name = "job", skip_all, fields(job_id = job.id, kind = %job.kind, report_id = job.report_id, state = %job.state))]
    async fn execute(&self, job: Job) {
        let worker = self.id.as_str();
        let s = &*self.services;
        let started = std::time::Instant::now();
        let result: Result<Next, JobError> = match job.kind {
            JobKind::Deliver | JobKind::DeliverFollowup => {
                let parcel = if job.kind == JobKind::Deliver {
                    Parcel::Report
                } else {
                    Parcel::Followup
                };
                delivery::run(
                    &s.db,
                    &s.targets,
                    &s.http,
                    &s.receipts,
                    &job,
                    worker,
                    parcel,
                )
                .await
                .map(|d| match d {
                    Delivered::Receipted => Next::Completed,
                    Delivered::AwaitingPull => Next::Wait,
                    Delivered::AlreadyDelivered => Next::Finish,
                })
                .map_err(JobError::from)
            }
            JobKind::Email => mail::confirmation::run(
                &s.db,
                &s.mailer,
                s.directory.as_ref(),
                &s.keyring,
                &s.settings,
                &job,
                worker,
            )
            .await
            .map(|sent| match sent {
                Sent::Sent => Next::Completed,
                Sent::Nothing => Next::Finish,
            })
            .map_err(JobError::from),
            JobKind::InboxStatus => Err(JobError::NotHere(job.kind)),
            JobKind::Escalate => {
                mail::escalation::run(&s.db, &s.mailer, &s.settings, s.directory.as_ref(), &job)
                    .await
                    .map(|_| Next::Finish)
                    .map_err(JobError::from)
            }
        };
        let elapsed = started.elapsed().as_secs_f64();
        let kind = job.kind;
        let now = Utc::now();
        let outcome = match result {
            Ok(Next::Completed) => Ok("done"),
            Ok(Next::Finish) => jobs::finish(&s.db, &job, worker, now).await.map(|_| "done"),
            Ok(Next::Wait) => jobs::wait(&s.db, &job, worker, now)
                .await
                .map(|_| "waiting"),
            Err(error) => {
                let delay = backoff::delay(
                    job.attempts,
                    Duration::from_millis(s.settings.job_backoff_base_ms),
                    Duration::from_secs(s.settings.job_backoff_cap_secs),
                );
                let retry_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                let message = crate::telemetry::error_chain(&error);
                match jobs::fail(&s.db, &job, worker, &message, retry_at, now).await {
                    Ok(Failed::Dead) => {
                        tracing::error!(job_id = job.id, kind = %job.kind, state = %job.state,
                            attempts = job.attempts, error = %message, "job failed for the last time: dead letter");
                        Ok("dead")
                    }
                    Ok(Failed::Retrying { .. }) => {
                        tracing::warn!(job_id = job.id, kind = %job.kind, state = %job.state,
                            attempt = job.attempts, retry_in_ms = delay.as_millis() as u64,
                            error = %message, "job failed; will retry");
                        Ok("retry")
                    }
                    Ok(Failed::LeaseLost) => Ok("lease_lost"),
                    Err(e) => Err(e),
                }
            }
        };
        match outcome {
            Ok(outcome) => {
                ::metrics::counter!("jobs_finished_total", "kind" => kind.as_str(), "outcome" => outcome)
                    .increment(1);
                ::metrics::histogram!("job_duration_seconds", "kind" => kind.as_str())
                    .record(elapsed);
            }
            Err(e) => {
                // The lease expires and another attempt follows.
                tracing::error!(job_id = job.id, error = %e, "cannot record the job's outcome");
            }
        }
    }

    /// Works until `shutdown` turns true. Wakes on NOTIFY (PostgreSQL), on in-process
    /// enqueues, on a finished job, and at least every `IW_WORKER_POLL_MS`. Keeps up to
    /// `IW_JOB_BATCH` jobs running and claims again once half of them are done, so one slow
    /// job does not hold up the next claim.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.services.settings.worker_poll_ms);
        let slots = self.services.settings.job_batch as usize;
        let mut running = tokio::task::JoinSet::new();
        let mut listener: Option<PgListener> = None;
        let mut failures: u32 = 0;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if listener.is_none() {
                listener = self.listen().await;
            }
            // Registered before the query, so an enqueue during it still wakes us.
            let local = jobs::local_wakeup().notified();
            tokio::pin!(local);
            local.as_mut().enable();
            let free = slots.saturating_sub(running.len());
            let pause = if free * 2 < slots.max(2) {
                // Most slots busy: wait for jobs to finish before claiming again.
                poll
            } else {
                match self.claim_and_spawn(free, &mut running).await {
                    Ok(n) => {
                        failures = 0;
                        // Fewer were due than there was room for: look again at once, as
                        // a batch that found work always did.
                        if n > 0 && running.len() < slots {
                            continue;
                        }
                        poll
                    }
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(worker = %self.id, error = %e, "queue not reachable");
                        poll.max(Duration::from_millis(500 * u64::from(failures.min(20))))
                    }
                }
            };
            let notified = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            };
            let finished = async {
                match running.join_next().await {
                    Some(_) => {}
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = finished => {}
                _ = &mut local => {}
                result = notified => {
                    if result.is_err() {
                        listener = None;
                    }
                }
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
        // Jobs already claimed finish (the pool's grace period bounds the wait).
        while running.join_next().await.is_some() {}
        tracing::info!(worker = %self.id, "worker stopped");
    }

    /// Rescues expired leases, claims up to `limit` due jobs and starts each on its own task;
    /// then sends due resume e-mails. Returns how many jobs were claimed.
    async fn claim_and_spawn(
        self: &Arc<Self>,
        limit: usize,
        running: &mut tokio::task::JoinSet<()>,
    ) -> Result<usize, StoreError> {
        let settings = &self.services.settings;
        let now = Utc::now();
        self.rescue_if_due(now).await?;
        let lease = chrono::Duration::seconds(settings.job_lease_secs as i64);
        let claimed = jobs::claim(self.db(), &self.id, limit as i64, lease, now).await?;
        let count = claimed.len();
        for job in claimed {
            let worker = self.clone();
            running.spawn(async move { worker.execute(job).await });
        }
        let resume_mails = self.send_resume_mails(lease).await?;
        Ok(count + resume_mails)
    }

    async fn listen(&self) -> Option<PgListener> {
        let Db::Postgres(pool) = self.db() else {
            return None;
        };
        let result = async {
            let mut l = PgListener::connect_with(pool).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        match result {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for jobs; polling only");
                None
            }
        }
    }
}
