//! What the citizen's status page shows: whether a case number and status code belong
//! together, and the coarse, content-free timeline of that report.

use chrono::{DateTime, Utc};

use crate::reports::case_number::CaseNumber;
use crate::reports::status_code::{unknown_case_hash, StatusCode};
use crate::store::{reports, status_codes, status_events, Db, StoreResult};

/// The answer to a look-up. An unknown case number and a wrong code are the same answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookUp {
    Found,
    /// The code is right, but retention has deleted the report's index.
    NoLongerOnline,
    NoMatch,
}

/// Compares the code with the stored hash in constant time; an unknown case number does
/// the same work against a hash no code produces.
pub async fn look_up(db: &Db, case_number: &CaseNumber, code: &StatusCode) -> StoreResult<LookUp> {
    let row = status_codes::get(db, case_number).await?;
    let stored = row
        .as_ref()
        .map_or_else(unknown_case_hash, |r| r.code_hash.clone());
    let matches = code.matches(case_number, &stored);
    Ok(match row {
        Some(r) if matches && r.gone_at.is_some() => LookUp::NoLongerOnline,
        Some(_) if matches => LookUp::Found,
        _ => LookUp::NoMatch,
    })
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Stored and sealed by the intake.
    Received,
    /// The police acknowledged receipt.
    Delivered,
    InProgress {
        office_id: Option<String>,
    },
    HandedOver {
        office_id: Option<String>,
    },
    Closed,
}

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub step: Step,
    pub at: DateTime<Utc>,
}

/// The report's state and its timeline, oldest first; `None` once its index is gone.
pub async fn timeline(
    db: &Db,
    case_number: &CaseNumber,
) -> StoreResult<Option<(String, Vec<TimelineEntry>)>> {
    let Some(report) = reports::get_by_case_number(db, case_number).await? else {
        return Ok(None);
    };
    let mut entries = vec![TimelineEntry {
        step: Step::Received,
        at: report.submitted_at,
    }];
    if let Some(at) = report.delivered_at {
        entries.push(TimelineEntry {
            step: Step::Delivered,
            at,
        });
    }
    for event in status_events::for_case(db, case_number).await? {
        let step = match event.status.as_str() {
            "in_bearbeitung" => Step::InProgress {
                office_id: event.office_id,
            },
            "abgegeben" => Step::HandedOver {
                office_id: event.office_id,
            },
            "abgeschlossen" => Step::Closed,
            _ => continue,
        };
        entries.push(TimelineEntry { step, at: event.at });
    }
    Ok(Some((report.state.to_string(), entries)))
}
