//! The pull API's follow-ups (issue 14), beside the report routes: list the undelivered
//! follow-ups of the token's state, download one envelope exactly as stored, confirm it with
//! its receipt (keyed `<case number>.<seq>`, README "Follow-up envelope specification").

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::api::{
    authenticate, envelope_response, followup_page, parse_case, receipt_body, ApiError,
};
use crate::app_state::AppState;
use crate::delivery::{self, DeliveryError, Parcel, Targets};
use crate::staff::Principal;
use crate::store::followups::{self as store, FollowupRow};

#[derive(Debug, Deserialize)]
pub struct FollowupPath {
    case_number: String,
    seq: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FollowupSummary {
    pub case_number: String,
    pub seq: i64,
    pub state: String,
    pub key_id: String,
    pub envelope_sha256: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FollowupList {
    pub items: Vec<FollowupSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Undelivered follow-ups of the token's state, oldest first, in pages: one the police
/// system cannot take stays listed without hiding the ones after it.
#[tracing::instrument(skip_all)]
pub async fn list(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&app, &req).await?;
    let page = followup_page(req.query_string())?;
    let state = principal.state_filter();
    let rows = store::undelivered(&app.db, state.as_deref(), page.after_id, page.limit + 1).await?;
    let (rows, next_cursor) = page.page(rows, |r| r.id);
    let items = rows
        .into_iter()
        .map(|r| FollowupSummary {
            case_number: r.case_number.to_string(),
            seq: r.seq,
            state: r.state.to_string(),
            key_id: r.key_id,
            envelope_sha256: r.envelope_sha256,
            created_at: r.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(FollowupList { items, next_cursor }))
}

async fn visible(
    app: &AppState,
    principal: &Principal,
    path: &FollowupPath,
) -> Result<FollowupRow, ApiError> {
    let case = parse_case(&path.case_number)?;
    store::by_case_and_seq(&app.db, &case, i64::from(path.seq))
        .await?
        .filter(|r| principal.sees(&r.state))
        .ok_or(ApiError::NotFound)
}

/// The follow-up envelope exactly as stored.
#[tracing::instrument(skip_all)]
pub async fn envelope(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FollowupPath>,
) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&app, &req).await?;
    let row = visible(&app, &principal, &path).await?;
    let envelope = store::envelope(&app.db, row.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(envelope_response(envelope))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FollowupReceiptAccepted {
    pub case_number: String,
    pub seq: i64,
    pub status: String,
    /// False when the follow-up had been acknowledged before.
    pub first: bool,
}

#[tracing::instrument(skip_all)]
pub async fn receipt(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<FollowupPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&app, &req).await?;
    let row = visible(&app, &principal, &path).await?;
    let parsed = receipt_body(&body)?;
    let object = format!("{}.{}", row.case_number, row.seq);
    let audit = crate::staff::audited(
        &app.audit_key,
        &principal.actor,
        crate::staff::action::RECEIPT,
        Some(row.state.as_str()),
        Some(&object),
    );
    let targets = Targets::from_settings(&app.settings);
    match delivery::accept_receipt(
        &app.db,
        &targets,
        Parcel::Followup,
        row.id,
        &parsed.receipt,
        Some(&audit),
    )
    .await
    {
        Ok(first) => Ok(HttpResponse::Ok().json(FollowupReceiptAccepted {
            case_number: row.case_number.to_string(),
            seq: row.seq,
            status: "delivered".into(),
            first,
        })),
        Err(DeliveryError::InvalidReceipt) => Err(ApiError::InvalidReceipt),
        Err(DeliveryError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::Internal(Box::new(e))),
    }
}
