//! Pull mode, for police networks the intake may not reach into: on a schedule the inbox
//! fetches each pull-mode state's pending reports through the intake's pull API
//! (`pull_client`), stores them through the one receiver, and posts each receipt only after
//! the envelope is stored.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

use super::context::Inbox;
use super::pull_client::PullClient;
use super::receiver::{ReceiveError, Via};
use super::settings::StateSettings;
use crate::delivery::receipt;

/// One round over every pull-mode state; returns how many reports were acknowledged.
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
    }
    Ok(acknowledged)
}

async fn pull_state(inbox: &Inbox, client: &PullClient, secret: &[u8]) -> anyhow::Result<usize> {
    let mut cursor: Option<String> = None;
    let mut count = 0;
    loop {
        let page = client.pending(cursor.as_deref()).await?;
        for item in &page.items {
            let envelope = client.envelope(&item.case_number).await?;
            match inbox
                .receiver
                .receive(
                    &item.case_number,
                    envelope.as_bytes(),
                    Via::Pull,
                    Utc::now(),
                )
                .await
            {
                Ok(accepted) => {
                    let receipt = receipt::compute(
                        secret,
                        accepted.case_number.as_str(),
                        envelope.as_bytes(),
                    );
                    client.acknowledge(&item.case_number, &receipt).await?;
                    count += 1;
                }
                // Kept unacknowledged: the intake escalates it, and the stored one stays.
                Err(e @ ReceiveError::Conflict(_)) | Err(e @ ReceiveError::Malformed(_)) => {
                    tracing::warn!(case_number = %item.case_number, error = %e, "pulled envelope not accepted");
                }
                Err(e @ ReceiveError::Store(_)) => return Err(e.into()),
            }
        }
        match page.next_cursor {
            Some(next) if !page.items.is_empty() => cursor = Some(next),
            _ => return Ok(count),
        }
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
