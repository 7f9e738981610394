//! Retention: what the intake keeps, and the sweep that deletes it when its time is up.
//!
//! Per state (`[retention]` in `state.toml`, overridden by `[police.<state>.retention]`):
//! the envelope of a delivered report goes `envelope_days` after its receipt, the index row
//! and its delivery history `index_days` after it. Undelivered reports are never deleted.
//! The demo file mail transport's files go after `IW_MAIL_FILE_RETENTION_DAYS`. The clock
//! is the caller's `now`, so tests can move it.

use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

use crate::config::{MailUrl, Settings};
use crate::form_registry::directory::Directory;
use crate::forms::Retention;
use crate::store::retention::{self as store, Cutoffs, Deleted};
use crate::store::{Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot delete old mail files in {path}")]
    MailFiles {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What one sweep deleted (or, dry, would delete).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub deleted: Vec<Deleted>,
    pub mail_files: u64,
}

impl Summary {
    /// One line per state and kind, then the mail files: what `retention run` prints.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .deleted
            .iter()
            .map(|d| format!("{:<3} {:<13} {}", d.state.as_str(), d.kind, d.count))
            .collect();
        lines.push(format!(
            "{:<3} {:<13} {}",
            "-", "mail_files", self.mail_files
        ));
        lines
    }

    pub fn total(&self) -> u64 {
        self.deleted.iter().map(|d| d.count).sum::<u64>() + self.mail_files
    }
}

/// The state's days: the configuration's override, else `state.toml`. `None` when neither
/// says (a state unknown to the forms catalog, or the catalog could not be loaded): such a
/// state is not swept, since keeping too long is the safe mistake, deleting early is not.
pub fn retention_for(
    settings: &Settings,
    directory: &dyn Directory,
    state: &str,
) -> Option<Retention> {
    let over = settings
        .police
        .get(&state.to_ascii_lowercase())
        .map(|p| p.retention)
        .unwrap_or_default();
    let base = directory.retention(state);
    Some(Retention {
        envelope_days: over.envelope_days.or(base.map(|b| b.envelope_days))?,
        index_days: over.index_days.or(base.map(|b| b.index_days))?,
    })
}

/// One sweep over every state with reports. `None`: another instance holds the sweep.
pub async fn sweep(
    db: &Db,
    settings: &Settings,
    directory: &dyn Directory,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Option<Summary>, RetentionError> {
    let cutoffs: Vec<Cutoffs> = store::states_with_reports(db)
        .await?
        .into_iter()
        .filter_map(|state| {
            let Some(days) = retention_for(settings, directory, state.as_str()) else {
                tracing::warn!(state = %state, "retention: no retention days known for this state; not swept");
                return None;
            };
            Some(Cutoffs {
                envelope: now - Duration::days(i64::from(days.envelope_days)),
                index: now - Duration::days(i64::from(days.index_days)),
                state,
            })
        })
        .collect();
    let Some(deleted) = store::sweep(db, &cutoffs, now, dry_run).await? else {
        return Ok(None);
    };
    let mail_files = match &settings.mail_url {
        MailUrl::File(dir) => {
            let cutoff = now - Duration::days(i64::from(settings.mail_file_retention_days));
            old_mail_files(dir, cutoff, dry_run).map_err(|source| RetentionError::MailFiles {
                path: dir.display().to_string(),
                source,
            })?
        }
        MailUrl::Smtp(_) => 0,
    };
    let summary = Summary {
        deleted,
        mail_files,
    };
    if !dry_run && summary.total() > 0 {
        for d in summary.deleted.iter().filter(|d| d.count > 0) {
            tracing::info!(state = %d.state, kind = d.kind, count = d.count, "retention: deleted");
        }
        tracing::info!(mail_files = summary.mail_files, "retention sweep done");
    }
    Ok(Some(summary))
}

/// Deletes (or counts) the `.eml` files in `dir` last written before `cutoff`.
fn old_mail_files(dir: &Path, cutoff: DateTime<Utc>, dry_run: bool) -> std::io::Result<u64> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let cutoff = SystemTime::from(cutoff);
    let mut count = 0;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let meta = entry.metadata()?;
        let is_mail = path.extension().is_some_and(|e| e == "eml");
        if !meta.is_file() || !is_mail || meta.modified()? >= cutoff {
            continue;
        }
        if !dry_run {
            std::fs::remove_file(&path)?;
        }
        count += 1;
    }
    Ok(count)
}
