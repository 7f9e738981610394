//! "No re-typing": each report as one file for the case system (VBS), format
//! `internetwache.vbs-export.v1` (README "VBS export"). The bundle is the opened report
//! document (attachments inline, base64 with their SHA-256, each checked before export)
//! plus the inbox's index and status, and the report's follow-ups (Nachreichungen, their
//! files inline and checked the same way). It goes to the drop folder (temp file, fsync, rename)
//! or out through the inbox's export API; either way the report is marked exported and the
//! export is audited.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::followups;
use super::reading::{self, ReadError};
use super::receiver::Receiver;
use crate::delivery::receipt::sha256_hex;
use crate::reports::document::ReportDocument;
use crate::reports::followup::FollowupDocument;
use crate::store::inbox::{self as store, InboxReportRow};
use crate::store::StoreError;

pub const FORMAT: &str = "internetwache.vbs-export.v1";
pub const ACTION_EXPORT: &str = "inbox_export";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportBundle {
    /// Always [`FORMAT`].
    pub format: String,
    pub case_number: String,
    pub state: String,
    pub received_at: DateTime<Utc>,
    pub exported_at: DateTime<Utc>,
    /// Hex SHA-256 of the envelope as received (what the receipt bound).
    pub envelope_sha256: String,
    /// Triage status in the inbox, e.g. `in_pruefung`.
    pub status: String,
    /// Office the report was handed to, if any.
    pub status_office_id: Option<String>,
    /// The full report (`internetwache.report.v1`), attachments inline.
    pub report: ReportDocument,
    /// What the citizen added later, in sequence (absent in exports made before follow-ups).
    #[serde(default)]
    pub followups: Vec<ExportedFollowup>,
}

/// One follow-up in the export: the opened `internetwache.followup.v1` document, or why it
/// cannot be opened (its envelope deleted by retention, no key), so the VBS sees the gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedFollowup {
    pub seq: i64,
    pub received_at: DateTime<Utc>,
    pub document: Option<FollowupDocument>,
    pub unreadable: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("attachment {index} does not match its SHA-256; not exported")]
    Attachment { index: usize },
    #[error("file {index} of follow-up {seq} does not match its SHA-256; not exported")]
    FollowupFile { seq: i64, index: usize },
    #[error("cannot write the export to {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the inbox database is not available: {0}")]
    Store(#[from] StoreError),
}

/// Opens the report for `actor` (audited as a view and an export) and builds its bundle.
pub async fn bundle(
    receiver: &Receiver,
    actor: &str,
    case_number: &str,
    now: DateTime<Utc>,
) -> Result<ExportBundle, ExportError> {
    let opened = reading::view(receiver, actor, case_number).await?;
    check_attachments(&opened.document)?;
    let followups = followups::of_case(receiver, case_number)
        .await?
        .into_iter()
        .map(exported)
        .collect::<Result<Vec<_>, _>>()?;
    let row: InboxReportRow = store::get(receiver.db(), case_number)
        .await?
        .ok_or(ReadError::NotFound)?;
    store::mark_exported(receiver.db(), case_number, now).await?;
    receiver
        .audit_as(actor, ACTION_EXPORT, &row.state, case_number, now)
        .await?;
    Ok(ExportBundle {
        format: FORMAT.into(),
        case_number: row.case_number,
        state: row.state,
        received_at: row.received_at,
        exported_at: now,
        envelope_sha256: row.envelope_sha256,
        status: row.status,
        status_office_id: row.status_office_id,
        report: opened.document,
        followups,
    })
}

fn exported(f: followups::Followup) -> Result<ExportedFollowup, ExportError> {
    let (document, unreadable) = match f.opened {
        Ok(doc) => {
            if let Some(index) = doc.files.iter().position(|file| file.bytes().is_none()) {
                return Err(ExportError::FollowupFile { seq: f.seq, index });
            }
            (Some(doc), None)
        }
        Err(reason) => (None, Some(reason)),
    };
    Ok(ExportedFollowup {
        seq: f.seq,
        received_at: f.received_at,
        document,
        unreadable,
    })
}

fn check_attachments(doc: &ReportDocument) -> Result<(), ExportError> {
    for (index, a) in doc.attachments.iter().enumerate() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&a.data)
            .map_err(|_| ExportError::Attachment { index })?;
        if sha256_hex(&bytes) != a.sha256 {
            return Err(ExportError::Attachment { index });
        }
    }
    Ok(())
}

/// Writes the bundle to `<dir>/<case number>.vbs.json`: complete or not at all.
pub async fn to_drop_folder(
    receiver: &Receiver,
    actor: &str,
    case_number: &str,
    dir: &Path,
) -> Result<PathBuf, ExportError> {
    let bundle = bundle(receiver, actor, case_number, Utc::now()).await?;
    let json = serde_json::to_vec_pretty(&bundle).map_err(|e| ExportError::Write {
        path: dir.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    let path = drop_file(dir, &bundle.case_number);
    write_atomically(dir, &path, &json).map_err(|source| ExportError::Write {
        path: path.display().to_string(),
        source,
    })?;
    Ok(path)
}

/// Where the export of `case_number` lies in the drop folder `dir`.
pub fn drop_file(dir: &Path, case_number: &str) -> PathBuf {
    dir.join(format!("{case_number}.vbs.json"))
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    // The rename itself is durable only once the directory is synced.
    std::fs::File::open(dir)?.sync_all()
}
