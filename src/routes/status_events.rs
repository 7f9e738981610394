//! `POST /api/v1/status`: coarse status events from the police side. The police inbox signs
//! them with the status key derived from the state's shared secret
//! (`inbox::status_message`); a pull-only police system may instead send its pull-API
//! token. Repeats (same `event_id`) change nothing. Errors are problem+json.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;

use super::staff::api::{authenticate, ApiError};
use crate::app_state::AppState;
use crate::delivery::receipt;
use crate::inbox::status_message::{self, StatusMessage};
use crate::inbox::triage::CoarseStatus;
use crate::reports::case_number::CaseNumber;
use crate::staff::audit;
use crate::staff::receipts;
use crate::state_code::StateCode;
use crate::store::{reports, status_events};

pub const ACTION_STATUS: &str = "status_received";

#[derive(Debug, Serialize)]
struct Accepted {
    event_id: String,
    case_number: CaseNumber,
    /// False when this event had been received before.
    first: bool,
}

/// The checked parts of a status message.
struct Checked {
    case_number: CaseNumber,
    status: CoarseStatus,
}

fn check(message: &StatusMessage) -> Result<Checked, ApiError> {
    let id_ok = (1..=100).contains(&message.event_id.len())
        && message
            .event_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !id_ok {
        return Err(ApiError::BadRequest(
            "event_id must be 1 to 100 letters, digits or dashes".into(),
        ));
    }
    let case_number = CaseNumber::parse(&message.case_number)
        .map_err(|e| ApiError::BadRequest(format!("not a case number: {e}")))?;
    let status: CoarseStatus = message.status.parse().map_err(|_| {
        ApiError::BadRequest("status must be in_bearbeitung, abgegeben or abgeschlossen".into())
    })?;
    let office_ok = message
        .office_id
        .as_deref()
        .is_none_or(|o| (1..=100).contains(&o.len()) && !o.contains(char::is_control));
    if !office_ok || (status == CoarseStatus::Abgegeben && message.office_id.is_none()) {
        return Err(ApiError::BadRequest(
            "office_id must name the office (required for abgegeben)".into(),
        ));
    }
    Ok(Checked {
        case_number,
        status,
    })
}

pub async fn post_status(
    req: HttpRequest,
    app: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let message: StatusMessage = serde_json::from_slice(&body).map_err(|_| {
        ApiError::BadRequest(
            "the body must be JSON: {event_id, case_number, status, office_id, at}".into(),
        )
    })?;
    let checked = check(&message)?;
    let state = StateCode::parse(checked.case_number.state()).map_err(|_| ApiError::NotFound)?;
    let actor = if req.headers().contains_key("authorization") {
        let principal = authenticate(&app, &req).await?;
        if !principal.sees(&state) {
            return Err(ApiError::NotFound);
        }
        principal.actor
    } else {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let secret = receipts::secret_for(&app.settings, state.as_str())
            .map_err(|_| ApiError::Unauthorized)?;
        let signed = status_message::verify(
            &secret,
            &header(receipt::HEADER_TIMESTAMP),
            &body,
            &header(receipt::HEADER_SIGNATURE),
            Utc::now().timestamp(),
        );
        if !signed {
            return Err(ApiError::Unauthorized);
        }
        format!("inbox:{state}")
    };
    let report = reports::get_by_case_number(&app.db, &checked.case_number)
        .await?
        .filter(|r| r.state == state)
        .ok_or(ApiError::NotFound)?;
    let first = status_events::insert(
        &app.db,
        &message.event_id,
        &report.case_number,
        checked.status.as_str(),
        message.office_id.as_deref(),
        message.at,
        Utc::now(),
    )
    .await?;
    if first {
        audit(
            &app.db,
            &app.audit_key,
            &actor,
            ACTION_STATUS,
            Some(report.state.as_str()),
            Some(&format!(
                "{} {}",
                report.case_number,
                checked.status.as_str()
            )),
        )
        .await?;
    }
    Ok(HttpResponse::Ok().json(Accepted {
        event_id: message.event_id,
        case_number: report.case_number,
        first,
    }))
}
