//! The export API the VBS polls (token auth with the inbox's own `api_tokens`, hashed as on
//! the intake; tokens from `internetwache inbox token add`). Errors are problem+json.
//!
//! - `GET /api/v1/exports?after=<id>&limit=<n>`: the state's readable reports after a cursor.
//! - `GET /api/v1/exports/{case_number}`: the `internetwache.vbs-export.v1` bundle
//!   (audited, marks the report exported).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::context::Inbox;
use super::export::{self, ExportError};
use super::push::problem;
use super::reading::ReadError;
use crate::crypto::token_hash;
use crate::http::staff_door::bearer_token;
use crate::state_code::StateCode;
use crate::store::inbox as store;
use crate::store::staff as store_staff;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/exports", web::get().to(list))
        .route("/api/v1/exports/{case_number}", web::get().to(one));
}

/// (state, actor) of the bearer token, or the 401 answer.
async fn authenticate(
    inbox: &Inbox,
    req: &HttpRequest,
) -> Result<(StateCode, String), HttpResponse> {
    let unauthorized = || {
        problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            "Send a valid export token as `Authorization: Bearer <token>`.".into(),
        )
    };
    let token = bearer_token(req).ok_or_else(unauthorized)?;
    match store_staff::token(inbox.receiver.db(), &token_hash(token)).await {
        Ok(Some((state, name))) => Ok((state, format!("token:{name}"))),
        Ok(None) => Err(unauthorized()),
        Err(e) => Err(unavailable(&e.to_string())),
    }
}

fn unavailable(error: &str) -> HttpResponse {
    tracing::error!(%error, "export API: database not available");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Service unavailable",
        "The inbox database is not available; retry later.".into(),
    )
}

fn not_found() -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "No such report for this token's state.".into(),
    )
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportItem {
    pub id: i64,
    pub case_number: String,
    pub received_at: DateTime<Utc>,
    pub exported_at: Option<DateTime<Utc>>,
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ExportList {
    pub items: Vec<ExportItem>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

async fn list(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let (state, _) = match authenticate(&inbox, &req).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let rows = match store::list(inbox.receiver.db(), query.after.unwrap_or(0), limit).await {
        Ok(rows) => rows,
        Err(e) => return unavailable(&e.to_string()),
    };
    let next_after = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let items = rows
        .into_iter()
        .filter(|r| r.state == state.as_str() && r.unreadable_reason.is_none())
        .map(|r| ExportItem {
            id: r.id,
            case_number: r.case_number,
            received_at: r.received_at,
            exported_at: r.exported_at,
            status: r.status,
        })
        .collect();
    HttpResponse::Ok().json(ExportList { items, next_after })
}

async fn one(req: HttpRequest, inbox: web::Data<Inbox>, path: web::Path<String>) -> HttpResponse {
    let (state, actor) = match authenticate(&inbox, &req).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let case_number = path.into_inner();
    match store::get(inbox.receiver.db(), &case_number).await {
        Ok(Some(row)) if row.state == state.as_str() => {}
        Ok(_) => return not_found(),
        Err(e) => return unavailable(&e.to_string()),
    }
    match export::bundle(&inbox.receiver, &actor, &case_number, Utc::now()).await {
        Ok(bundle) => HttpResponse::Ok().json(bundle),
        Err(ExportError::Read(ReadError::NotFound)) => not_found(),
        Err(ExportError::Read(ReadError::EnvelopeDeleted)) => problem(
            StatusCode::GONE,
            "envelope-deleted",
            "Umschlag gelöscht (Aufbewahrungsfrist) / envelope deleted (retention period)",
            ReadError::EnvelopeDeleted.to_string(),
        ),
        Err(ExportError::Read(ReadError::Store(e))) | Err(ExportError::Store(e)) => {
            unavailable(&e.to_string())
        }
        Err(e) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable",
            "Nicht lesbar / not readable",
            e.to_string(),
        ),
    }
}
