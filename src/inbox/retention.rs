//! Retention on the police side: per state (`IW_INBOX_RETENTION_*`, `[retention.<xx>]`), a
//! report the inbox is done with (abgegeben, abgeschlossen, zurückgewiesen) loses its sealed
//! envelope and its VBS export file `envelope_days` after receipt, keeping the triage index
//! as a tombstone; `index_days` after receipt the row goes with its notes and status events.
//! PDFs are never stored. Each deletion is one audit entry with counts, no content. The
//! clock is the caller's `now`, so tests can move it.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use super::export::drop_file;
use super::receiver::Receiver;
use super::settings::InboxSettings;
use crate::store::inbox_retention::{self as store, Due, IndexDeleted};
use crate::store::StoreError;

pub const ACTION_ENVELOPES: &str = "inbox_retention_envelopes";
pub const ACTION_REPORTS: &str = "inbox_retention_reports";

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("the inbox database is not available")]
    Store(#[from] StoreError),
    #[error("cannot delete the export file {path}")]
    ExportFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What one sweep deleted (or, dry, would delete) in one state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deleted {
    pub state: String,
    pub envelopes: u64,
    pub exports: u64,
    pub index: IndexDeleted,
}

impl Deleted {
    /// One line as `inbox retention run` prints it, and the audit entry's object.
    pub fn line(&self) -> String {
        format!(
            "{} envelopes={} exports={} reports={} notes={} status_events={}",
            self.state,
            self.envelopes,
            self.exports,
            self.index.reports,
            self.index.notes,
            self.index.status_events
        )
    }

    pub fn total(&self) -> u64 {
        self.envelopes + self.exports + self.index.reports
    }
}

/// One sweep over every state with reports in the inbox.
pub async fn sweep(
    receiver: &Receiver,
    settings: &InboxSettings,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Vec<Deleted>, RetentionError> {
    let mut summary = Vec::new();
    for state in store::states(receiver.db()).await? {
        let days = settings.retention_for(&state);
        let envelope_cutoff = now - Duration::days(i64::from(days.envelope_days));
        let index_cutoff = now - Duration::days(i64::from(days.index_days));
        let deleted = if dry_run {
            count_due(
                receiver,
                &settings.export_dir(),
                &state,
                envelope_cutoff,
                index_cutoff,
            )
            .await?
        } else {
            delete_due(
                receiver,
                &settings.export_dir(),
                &state,
                envelope_cutoff,
                index_cutoff,
                now,
            )
            .await?
        };
        summary.push(deleted);
    }
    Ok(summary)
}

async fn count_due(
    receiver: &Receiver,
    export_dir: &Path,
    state: &str,
    envelope_cutoff: DateTime<Utc>,
    index_cutoff: DateTime<Utc>,
) -> Result<Deleted, RetentionError> {
    let envelopes = store::cases_due(receiver.db(), state, envelope_cutoff, Due::Envelopes).await?;
    let reports = store::cases_due(receiver.db(), state, index_cutoff, Due::Reports).await?;
    let exports = envelopes
        .iter()
        .chain(&reports)
        .filter(|c| drop_file(export_dir, c).exists())
        .count();
    Ok(Deleted {
        state: state.to_owned(),
        envelopes: envelopes.len() as u64,
        exports: exports as u64,
        index: IndexDeleted {
            reports: reports.len() as u64,
            ..IndexDeleted::default()
        },
    })
}

async fn delete_due(
    receiver: &Receiver,
    export_dir: &Path,
    state: &str,
    envelope_cutoff: DateTime<Utc>,
    index_cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Deleted, RetentionError> {
    let db = receiver.db();
    // The export files carry the full report, so they go with the envelope (and, for rows
    // that skipped that step, with the row), before the database forgets which were due.
    let mut exports = 0;
    let envelopes_due = store::cases_due(db, state, envelope_cutoff, Due::Envelopes).await?;
    let reports_due = store::cases_due(db, state, index_cutoff, Due::Reports).await?;
    for case_number in envelopes_due.iter().chain(&reports_due) {
        exports += u64::from(remove_export(export_dir, case_number)?);
    }
    let envelopes = store::delete_envelopes(db, state, envelope_cutoff, now).await?;
    let index = store::delete_reports(db, state, index_cutoff).await?;
    let deleted = Deleted {
        state: state.to_owned(),
        envelopes,
        exports,
        index,
    };
    if deleted.envelopes + deleted.exports > 0 {
        receiver
            .audit(ACTION_ENVELOPES, state, &deleted.line(), now)
            .await?;
    }
    if deleted.index.reports > 0 {
        receiver
            .audit(ACTION_REPORTS, state, &deleted.line(), now)
            .await?;
    }
    if deleted.total() > 0 {
        tracing::info!(
            state,
            envelopes,
            exports,
            reports = index.reports,
            notes = index.notes,
            status_events = index.status_events,
            "inbox retention: deleted"
        );
    }
    Ok(deleted)
}

/// Deletes the report's export file; false when there was none.
fn remove_export(dir: &Path, case_number: &str) -> Result<bool, RetentionError> {
    let path = drop_file(dir, case_number);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(RetentionError::ExportFile {
            path: path.display().to_string(),
            source,
        }),
    }
}
