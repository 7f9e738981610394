//! Pull mode, for police networks the intake may not reach into: on a schedule the inbox
//! fetches each pull-mode state's pending reports through the intake's pull API
//! (`pull_client`), then its undelivered follow-ups (so a report comes before what was added
//! to it), stores them through the one receiver, and posts each receipt only after the
//! envelope is stored.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

use super::context::Inbox;
use super::pull_client::PullClient;
use super::receiver::{ReceiveError, Via};
use super::settings::StateSettings;
use crate::delivery::receipt;

/// One round over every pull-mode state; returns how many reports and follow-ups were
/// acknowledged.
pub async fn pull_once(inbox: &Inbox) -> anyhow::Result<usize> {
    let mut acknowledged = 0;
    for (state, settings) in &inbox.states {
        let StateSettings::Pull {
            intake_url,
            token,
            receipt_secret,
        } = settings
        else {
            continue;
        };
        let client = PullClient::new(intake_url, token)?;
        acknowledged += pull_state(inbox, &client, receipt_secret.as_bytes())
            .await
            .with_context(|| format!("state {state}"))?;
        acknowledged += pull_followups(inbox, &client, receipt_secret.as_bytes())
            .await
            .with_context(|| format!("state {state}: follow-ups"))?;
    }
    Ok(acknowledged)
}

async fn pull_state(inbox: &Inbox, client: &PullClient, secret: &[u8]) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut pages = client.pending();
    while let Some(items) = pages.next().await? {
        for item in items {
            let envelope = client.envelope(&item.case_number).await?;
            if let Some(receipt) = store(inbox, &item.case_number, &envelope, secret).await? {
                client.acknowledge(&item.case_number, &receipt).await?;
                count += 1;
            }
        }
    }
    Ok(count)
}

/// The state's undelivered follow-ups: one refused stays listed (the intake escalates it),
/// and the pages go on past it.
async fn pull_followups(
    inbox: &Inbox,
    client: &PullClient,
    secret: &[u8],
) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut pages = client.pending_followups();
    while let Some(items) = pages.next().await? {
        for item in items {
            let envelope = client
                .followup_envelope(&item.case_number, item.seq)
                .await?;
            let key = format!("{}.{}", item.case_number, item.seq);
            if let Some(receipt) = store(inbox, &key, &envelope, secret).await? {
                client
                    .acknowledge_followup(&item.case_number, item.seq, &receipt)
                    .await?;
                count += 1;
            }
        }
    }
    Ok(count)
}

/// Stores a pulled envelope under its delivery key (a case number, or `<case number>.<seq>`
/// for a follow-up); returns the receipt to post, or `None` when it was not accepted.
async fn store(
    inbox: &Inbox,
    delivery_key: &str,
    envelope: &str,
    secret: &[u8],
) -> anyhow::Result<Option<String>> {
    match inbox
        .receiver
        .receive(delivery_key, envelope.as_bytes(), Via::Pull, Utc::now())
        .await
    {
        Ok(accepted) => Ok(Some(receipt::compute(
            secret,
            &accepted.receipt_key,
            envelope.as_bytes(),
        ))),
        // Kept unacknowledged: the intake escalates it, and the stored one stays.
        Err(e @ ReceiveError::Conflict(_)) | Err(e @ ReceiveError::Malformed(_)) => {
            tracing::warn!(delivery_key, error = %e, "pulled envelope not accepted");
            Ok(None)
        }
        Err(e @ ReceiveError::Store(_)) => Err(e.into()),
    }
}

/// Pulls every `interval` until the process ends.
pub async fn run_scheduler(inbox: Arc<Inbox>, interval: Duration) {
    if !inbox
        .states
        .values()
        .any(|s| matches!(s, StateSettings::Pull { .. }))
    {
        return;
    }
    loop {
        match pull_once(&inbox).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reports = n, "pulled and acknowledged"),
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "pull round failed; next round retries"
            ),
        }
        tokio::time::sleep(interval).await;
    }
}
