//! Follow-ups on the police side (issue 14): opened with the keyring when a clerk views the
//! report (like the report itself), checked against the case and seq they were stored under,
//! and their files served after the caller checked the clerk's scope for the report.

use chrono::{DateTime, Utc};

use super::receiver::Receiver;
use super::triage_actions::{ActionError, ACTION_ATTACHMENT};
use crate::crypto::Envelope;
use crate::reports::case_number::CaseNumber;
use crate::reports::followup::{self, FollowupDocument, FollowupFile};
use crate::store::inbox_followups::{self as store, InboxFollowupRow};
use crate::store::StoreError;

/// One follow-up of a case as a clerk sees it.
#[derive(Debug, Clone)]
pub struct Followup {
    pub seq: i64,
    pub received_at: DateTime<Utc>,
    /// The opened document, or why it cannot be opened (German / English).
    pub opened: Result<FollowupDocument, String>,
}

fn open_row(receiver: &Receiver, row: &InboxFollowupRow) -> Result<FollowupDocument, String> {
    if row.envelope_deleted_at.is_some() {
        return Err(
            "Umschlag gelöscht (Aufbewahrungsfrist) / envelope deleted (retention period)".into(),
        );
    }
    let case_number = CaseNumber::parse(&row.case_number).map_err(|e| e.to_string())?;
    let seq = u32::try_from(row.seq).map_err(|e| e.to_string())?;
    let envelope = Envelope::from_json(&row.envelope).map_err(|e| e.to_string())?;
    let key = receiver.keyring().get(&row.key_id).ok_or_else(|| {
        format!(
            "kein Schlüssel mit der Kennung {:?} / no key with id {:?}",
            row.key_id, row.key_id
        )
    })?;
    followup::open(&envelope, key, &case_number, seq)
        .map(|(_, doc)| doc)
        .map_err(|e| format!("nicht lesbar / not readable ({e})"))
}

/// Every follow-up stored for `case_number`, in sequence, opened.
pub async fn of_case(receiver: &Receiver, case_number: &str) -> Result<Vec<Followup>, StoreError> {
    Ok(store::of_case(receiver.db(), case_number)
        .await?
        .iter()
        .map(|row| Followup {
            seq: row.seq,
            received_at: row.received_at,
            opened: open_row(receiver, row),
        })
        .collect())
}

/// File `index` of follow-up `seq`, checked against its SHA-256 and audited. The caller has
/// checked that `clerk` may see the report.
pub async fn file(
    receiver: &Receiver,
    clerk: &str,
    case_number: &str,
    seq: i64,
    index: usize,
) -> Result<(FollowupFile, Vec<u8>), ActionError> {
    let row = store::of_case(receiver.db(), case_number)
        .await?
        .into_iter()
        .find(|r| r.seq == seq)
        .ok_or(ActionError::NotFound)?;
    let doc = open_row(receiver, &row).map_err(|_| ActionError::NotFound)?;
    let file = doc
        .files
        .into_iter()
        .nth(index)
        .ok_or(ActionError::NotFound)?;
    let bytes = file
        .bytes()
        .ok_or(ActionError::Invalid("the file does not match its SHA-256"))?;
    let state = case_number.get(..2).unwrap_or("").to_ascii_lowercase();
    let object = format!("{case_number} followup {seq} file {index}");
    receiver
        .audit_as(clerk, ACTION_ATTACHMENT, &state, &object, Utc::now())
        .await?;
    Ok((file, bytes))
}
