//! Clerks move reports through the status flow (`triage::Status`); each change is checked,
//! stored, audited, and — when the intake should know — stored as a coarse status event with
//! an `inbox_status` job in the inbox's own job queue (the intake's queue code, on the
//! inbox's database), in the same transaction. [`send_due`] runs those jobs: lease, send,
//! finish, or retry with the queue's backoff until the intake acknowledges them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::context::Inbox;
use super::receiver::Receiver;
use super::status_message::{self, StatusMessage};
use super::triage::Status;
use crate::delivery::receipt;
use crate::queue::backoff;
use crate::store::inbox::{self as store, NewStatusEvent, StatusEventRow};
use crate::store::jobs::{self, JobKind};
use crate::store::StoreError;

pub const ACTION_STATUS: &str = "inbox_status";

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("no such report")]
    NotFound,
    #[error("a report in status {from} cannot become {to}")]
    NotAllowed { from: String, to: Status },
    #[error("status abgegeben needs the office it is handed to")]
    OfficeRequired,
    #[error("the report changed meanwhile; reload and try again")]
    Concurrent,
    #[error("the inbox database is not available: {0}")]
    Store(#[from] StoreError),
}

/// Moves `case_number` to `next` for `clerk`; `office` names the office for `abgegeben`.
pub async fn change(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
    next: Status,
    office: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StatusError> {
    let row = store::get(receiver.db(), case_number)
        .await?
        .ok_or(StatusError::NotFound)?;
    let current: Status = row.status.parse().map_err(|_| StatusError::NotAllowed {
        from: row.status.clone(),
        to: next,
    })?;
    if !current.may_become(next) {
        return Err(StatusError::NotAllowed {
            from: row.status,
            to: next,
        });
    }
    let office = office.map(str::trim).filter(|o| !o.is_empty());
    if next.needs_office() && office.is_none() {
        return Err(StatusError::OfficeRequired);
    }
    let event_id = uuid::Uuid::new_v4().to_string();
    let event = next.coarse().map(|coarse| NewStatusEvent {
        event_id: &event_id,
        status: coarse.as_str(),
        office_id: office
            .or(row.status_office_id.as_deref())
            .or(row.triage.office_id.as_deref()),
    });
    let changed = store::change_status(
        receiver.db(),
        case_number,
        current.as_str(),
        next.as_str(),
        office,
        event.as_ref(),
        now,
    )
    .await?;
    if !changed {
        return Err(StatusError::Concurrent);
    }
    let object = format!("{case_number} {current}->{next}");
    receiver
        .audit_as(clerk, ACTION_STATUS, &row.state, &object, now)
        .await?;
    jobs::notify_local();
    Ok(())
}

/// How long one claim on a status job lasts before another sender may take it.
const LEASE_SECS: i64 = 60;
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_CAP: Duration = Duration::from_secs(3600);

/// Claims the due `inbox_status` jobs of the inbox's queue as `worker` and sends each event
/// once; a failure is retried with the queue's backoff. Returns how many were acknowledged.
pub async fn send_due(
    inbox: &Inbox,
    http: &reqwest::Client,
    worker: &str,
) -> Result<usize, StoreError> {
    let db = inbox.receiver.db();
    let now = Utc::now();
    jobs::rescue_expired(db, now).await?;
    let claimed = jobs::claim(db, worker, 20, chrono::Duration::seconds(LEASE_SECS), now).await?;
    let mut sent = 0;
    for job in claimed {
        let result = match store::status_event(db, job.report_id).await? {
            Some(event) if job.kind == JobKind::InboxStatus => send_one(inbox, http, &event).await,
            // Nothing the inbox can send (retention took the event, or not an inbox job).
            _ => Err(format!(
                "no status event {} for a {} job",
                job.report_id, job.kind
            )),
        };
        match result {
            Ok(()) => {
                jobs::finish(db, &job, worker, Utc::now()).await?;
                sent += 1;
            }
            Err(problem) => {
                let delay = backoff::delay(job.attempts, BACKOFF_BASE, BACKOFF_CAP);
                let now = Utc::now();
                let retry_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                tracing::warn!(job_id = job.id, attempt = job.attempts, error = %problem, "status not yet delivered to the intake; will retry");
                jobs::fail(db, &job, worker, &problem, retry_at, now).await?;
            }
        }
    }
    Ok(sent)
}

async fn send_one(
    inbox: &Inbox,
    http: &reqwest::Client,
    event: &StatusEventRow,
) -> Result<(), String> {
    let state = inbox
        .states
        .get(&event.state)
        .ok_or_else(|| format!("state {} is not configured", event.state))?;
    let base = state
        .intake_url()
        .or(inbox.intake_url.as_deref())
        .ok_or_else(|| format!("no intake_url for state {}", event.state))?;
    let message = StatusMessage {
        event_id: event.event_id.clone(),
        case_number: event.case_number.clone(),
        status: event.status.clone(),
        office_id: event.office_id.clone(),
        at: event.at,
    };
    let body = serde_json::to_vec(&message).map_err(|e| e.to_string())?;
    let timestamp = Utc::now().timestamp();
    let response = http
        .post(format!(
            "{}{}",
            base.trim_end_matches('/'),
            status_message::PATH
        ))
        .header("Content-Type", "application/json")
        .header(receipt::HEADER_TIMESTAMP, timestamp.to_string())
        .header(
            receipt::HEADER_SIGNATURE,
            status_message::sign(state.secret().as_bytes(), timestamp, &body),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| format!("intake not reachable: {}", e.without_url()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("intake answered {}", response.status()))
    }
}

/// Sends status events until the process ends: woken by changes, at least every second.
pub async fn run_sender(inbox: std::sync::Arc<Inbox>) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the HTTP client for status messages");
            return;
        }
    };
    let worker = format!("inbox-status-{}", std::process::id());
    loop {
        let wake = jobs::local_wakeup().notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        if let Err(e) = send_due(&inbox, &http, &worker).await {
            tracing::warn!(error = %e, "inbox database not reachable for status messages");
        }
        tokio::select! {
            _ = &mut wake => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
