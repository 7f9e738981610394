//! What a clerk does with a report besides moving its status (`inbox::status`): assign it,
//! re-route it to another office, note something internal, fetch one attachment. Each is
//! recorded in the inbox's audit log under the clerk's name; notes and attachments never
//! leave the inbox.

use base64::Engine;
use chrono::Utc;

use super::opening::OpenedReport;
use super::reading::{self, ReadError};
use super::receiver::Receiver;
use crate::reports::document::Attachment;
use crate::store::inbox as store;
use crate::store::StoreError;

pub const ACTION_ASSIGN: &str = "inbox_assign";
pub const ACTION_REROUTE: &str = "inbox_reroute";
pub const ACTION_NOTE: &str = "inbox_note";
pub const ACTION_ATTACHMENT: &str = "inbox_attachment_download";
pub const ACTION_PRINT: &str = "inbox_print";

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no such report")]
    NotFound,
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the inbox database is not available: {0}")]
    Store(#[from] StoreError),
}

async fn state_of(receiver: &Receiver, case_number: &str) -> Result<String, ActionError> {
    store::get(receiver.db(), case_number)
        .await?
        .map(|r| r.state)
        .ok_or(ActionError::NotFound)
}

/// Assigns the report to `assignee` (`None`: nobody).
pub async fn assign(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
    assignee: Option<&str>,
) -> Result<(), ActionError> {
    let state = state_of(receiver, case_number).await?;
    store::assign(receiver.db(), case_number, assignee).await?;
    let object = format!("{case_number} -> {}", assignee.unwrap_or("-"));
    receiver
        .audit_as(clerk, ACTION_ASSIGN, &state, &object, Utc::now())
        .await?;
    Ok(())
}

/// Makes `office_id` responsible for the report.
pub async fn reroute(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
    office_id: &str,
) -> Result<(), ActionError> {
    let office_id = office_id.trim();
    if office_id.is_empty() || office_id.len() > 100 {
        return Err(ActionError::Invalid(
            "the office id must be 1 to 100 characters",
        ));
    }
    let state = state_of(receiver, case_number).await?;
    store::reroute(receiver.db(), case_number, office_id).await?;
    let object = format!("{case_number} -> {office_id}");
    receiver
        .audit_as(clerk, ACTION_REROUTE, &state, &object, Utc::now())
        .await?;
    Ok(())
}

/// An internal note; the audit entry names the note, never its text.
pub async fn add_note(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
    body: &str,
) -> Result<i64, ActionError> {
    let body = body.trim();
    if body.is_empty() || body.len() > 10_000 {
        return Err(ActionError::Invalid("a note has 1 to 10000 characters"));
    }
    let row = store::get(receiver.db(), case_number)
        .await?
        .ok_or(ActionError::NotFound)?;
    let now = Utc::now();
    let id = store::add_note(receiver.db(), row.id, clerk, body, now).await?;
    let object = format!("{case_number} note {id}");
    receiver
        .audit_as(clerk, ACTION_NOTE, &row.state, &object, now)
        .await?;
    Ok(id)
}

/// One attachment's bytes (checked against its SHA-256) with its metadata.
pub async fn attachment(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
    index: usize,
) -> Result<(Attachment, Vec<u8>), ActionError> {
    let opened = reading::view(receiver, clerk, case_number).await?;
    let attachment = opened
        .document
        .attachments
        .into_iter()
        .nth(index)
        .ok_or(ActionError::NotFound)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&attachment.data)
        .ok()
        .filter(|b| crate::delivery::receipt::sha256_hex(b) == attachment.sha256)
        .ok_or(ActionError::Invalid(
            "the attachment does not match its SHA-256",
        ))?;
    let object = format!("{case_number} attachment {index}");
    receiver
        .audit_as(
            clerk,
            ACTION_ATTACHMENT,
            &opened.metadata.state,
            &object,
            Utc::now(),
        )
        .await?;
    Ok((attachment, bytes))
}

/// The report to print or file as a PDF (audited as a print).
pub async fn print(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
) -> Result<OpenedReport, ActionError> {
    let opened = reading::view(receiver, clerk, case_number).await?;
    receiver
        .audit_as(
            clerk,
            ACTION_PRINT,
            &opened.metadata.state,
            case_number,
            Utc::now(),
        )
        .await?;
    Ok(opened)
}
