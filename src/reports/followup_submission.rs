//! Adding a follow-up to a filed report: the per-day limit, the next sequence number, the
//! seal to the state's current police key, and the row with its delivery job in one commit.

use chrono::{DateTime, Duration, Utc};

use crate::crypto::police_keys::PoliceKeys;
use crate::crypto::CryptoError;
use crate::reports::case_number::CaseNumber;
use crate::reports::followup::{FollowupDocument, FollowupFile, SCHEMA};
use crate::store::followups::{self, Inserted, NewFollowup};
use crate::store::{reports, Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum FollowupError {
    /// The report's index is gone (retention) or never existed.
    #[error("no report with this case number")]
    NoReport,
    #[error("no police key is configured for this state")]
    NoKey,
    #[error("sealing failed")]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the citizen just added, for their confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    Stored {
        seq: u32,
    },
    /// `per_day` follow-ups were added in the last 24 hours; nothing was stored.
    OverLimit,
}

/// What a follow-up carries, already checked (text length, file types and sizes).
pub struct Addition {
    pub text: String,
    pub files: Vec<FollowupFile>,
}

/// What adding a follow-up needs.
pub struct FollowupAdder<'a> {
    pub db: &'a Db,
    pub police_keys: &'a PoliceKeys,
    pub per_day: u32,
    pub max_attempts: u32,
}

#[tracing::instrument(skip_all, fields(case = case_number.log_id()))]
pub async fn add(
    app: &FollowupAdder<'_>,
    case_number: &CaseNumber,
    addition: Addition,
    now: DateTime<Utc>,
) -> Result<Added, FollowupError> {
    let report = reports::get_by_case_number(app.db, case_number)
        .await?
        .ok_or(FollowupError::NoReport)?;
    let key = app
        .police_keys
        .sealing_key(report.state.as_str())
        .ok_or(FollowupError::NoKey)?;
    let mut document = FollowupDocument {
        schema: SCHEMA.into(),
        case_number: case_number.clone(),
        seq: 0,
        created_at: now,
        text: addition.text,
        files: addition.files,
    };
    loop {
        let (recent, next) =
            followups::count_and_next_seq(app.db, report.id, now - Duration::hours(24)).await?;
        if recent >= i64::from(app.per_day) {
            metrics::counter!("followups_limited_total").increment(1);
            return Ok(Added::OverLimit);
        }
        document.seq = u32::try_from(next).unwrap_or(u32::MAX);
        let (envelope_json, envelope_sha256) = document.seal(key)?.to_json_with_sha256();
        let new = NewFollowup {
            report_id: report.id,
            seq: next,
            state: &report.state,
            key_id: &key.key_id,
            envelope: &envelope_json,
            envelope_sha256: &envelope_sha256,
            created_at: now,
            max_attempts: i64::from(app.max_attempts),
        };
        if let Inserted::Created { .. } = followups::insert(app.db, &new).await? {
            metrics::counter!("followups_added_total", "state" => report.state.to_string())
                .increment(1);
            tracing::info!(seq = next, "follow-up sealed and queued");
            return Ok(Added::Stored { seq: document.seq });
        }
    }
}
