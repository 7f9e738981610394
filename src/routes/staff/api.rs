//! The pull API for police systems (`/api/v1`), described in `docs/openapi.json`.
//! Tokens come from `internetwache token add` and see one state; every error is RFC 7807
//! `application/problem+json`, and another state's report is "not found".

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

use super::CasePath;
use crate::app_state::AppState;
use crate::crypto::token_hash;
use crate::delivery::receipt::ReceiptBody;
use crate::http::staff_door::bearer_token;
use crate::reports::case_number::CaseNumber;
use crate::staff::receipts::{self, ReceiptError};
use crate::staff::{download_envelope, Principal, Role};
use crate::store::reports::{self, ReportRow};
use crate::store::staff::{self as store_staff, ReportFilter};

pub const OPENAPI: &str = include_str!("../../../docs/openapi.json");
pub const PROBLEM_BASE: &str = "https://internetwache.invalid/problems/";
pub const DEFAULT_LIMIT: i64 = 50;
/// Follow-ups were listed 100 at a time before they had pages; the default stays.
pub const FOLLOWUP_DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 500;

/// An API error, answered as problem+json. Details never carry personal data.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid token")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid receipt")]
    InvalidReceipt,
    #[error("the database is unavailable")]
    Unavailable(#[from] crate::store::StoreError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// RFC 7807 body.
#[derive(Debug, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl ApiError {
    fn parts(&self) -> (&'static str, &'static str, String) {
        match self {
            ApiError::Unauthorized => (
                "unauthorized",
                "Authentication required",
                "Send a valid pull-API token as `Authorization: Bearer <token>`.".into(),
            ),
            ApiError::NotFound => (
                "not-found",
                "Not found",
                "No such report for this token's state.".into(),
            ),
            ApiError::BadRequest(d) => ("bad-request", "Bad request", d.clone()),
            ApiError::InvalidReceipt => (
                "invalid-receipt",
                "Receipt does not match",
                "The receipt is not the HMAC of this case number and the exact envelope bytes."
                    .into(),
            ),
            ApiError::Unavailable(_) => (
                "unavailable",
                "Service unavailable",
                "The database is not available; retry later.".into(),
            ),
            ApiError::Internal(_) => (
                "internal",
                "Internal error",
                "Something went wrong on the server.".into(),
            ),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidReceipt => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %crate::telemetry::error_chain(self), "API request failed");
        }
        let (slug, title, detail) = self.parts();
        let body = Problem {
            kind: format!("{PROBLEM_BASE}{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
        };
        let mut res = HttpResponse::build(status);
        res.content_type("application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"internetwache\""));
        }
        res.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

/// The state a bearer token may read.
pub async fn authenticate(app: &AppState, req: &HttpRequest) -> Result<Principal, ApiError> {
    let token = bearer_token(req).ok_or(ApiError::Unauthorized)?;
    let hash = token_hash(token);
    let (state, name) = store_staff::token(&app.db, &hash)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Principal {
        actor: format!("token:{name}"),
        role: Role::Clerk,
        state: Some(state),
        office: None,
    })
}

#[tracing::instrument(skip_all)]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

/// Where a page of a pull-API list starts and how long it is: `limit` (1 to [`MAX_LIMIT`])
/// and `cursor` (the `next_cursor` of the page before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    pub limit: i64,
    pub after_id: Option<i64>,
}

impl PageParams {
    fn parse(
        limit: Option<&str>,
        cursor: Option<&str>,
        default_limit: i64,
    ) -> Result<Self, ApiError> {
        let limit = match limit {
            None => default_limit,
            Some(l) => l
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| ApiError::BadRequest(format!("limit must be 1 to {MAX_LIMIT}")))?,
        };
        let after_id =
            match cursor {
                None | Some("") => None,
                Some(c) => Some(c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    ApiError::BadRequest("cursor is not one this API issued".into())
                })?),
            };
        Ok(PageParams { limit, after_id })
    }

    /// Cuts `rows` (fetched with `limit + 1`) to the page; the cursor of the next page, if
    /// there is one, is the id of the page's last row.
    pub fn page<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<String>) {
        if rows.len() as i64 > self.limit {
            rows.truncate(self.limit as usize);
            let next = rows.last().map(|r| id(r).to_string());
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

/// The values of `keys` in a raw query string. Unknown keys are ignored; a repeated key is
/// refused, not guessed.
fn query_values<const N: usize>(
    raw: &str,
    keys: [&str; N],
) -> Result<[Option<String>; N], ApiError> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let Some(slot) = keys.iter().position(|k| *k == key) else {
            continue;
        };
        if values[slot].replace(value.into_owned()).is_some() {
            return Err(ApiError::BadRequest(format!(
                "{key} is given more than once"
            )));
        }
    }
    Ok(values)
}

/// A pull-API report list query, parsed from the raw query string: which status, and which
/// page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<String>,
    pub page: PageParams,
}

impl ListQuery {
    pub fn parse(raw: &str) -> Result<ListQuery, ApiError> {
        let [status, limit, cursor] = query_values(raw, ["status", "limit", "cursor"])?;
        let status = match status.as_deref().unwrap_or("pending") {
            "pending" => Some("pending".to_owned()),
            "delivered" => Some("delivered".to_owned()),
            "all" => None,
            _ => {
                return Err(ApiError::BadRequest(
                    "status must be pending, delivered or all".into(),
                ))
            }
        };
        let page = PageParams::parse(limit.as_deref(), cursor.as_deref(), DEFAULT_LIMIT)?;
        Ok(ListQuery { status, page })
    }
}

/// A pull-API follow-up list query: which page of the undelivered follow-ups.
pub fn followup_page(raw: &str) -> Result<PageParams, ApiError> {
    let [limit, cursor] = query_values(raw, ["limit", "cursor"])?;
    PageParams::parse(limit.as_deref(), cursor.as_deref(), FOLLOWUP_DEFAULT_LIMIT)
}

/// One report in a list: the plaintext index only.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportSummary {
    pub case_number: String,
    pub state: String,
    pub category: String,
    pub form_id: String,
    pub form_version: i64,
    pub form_content_hash: String,
    pub office_id: Option<String>,
    pub key_id: String,
    pub envelope_sha256: String,
    pub status: String,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<ReportRow> for ReportSummary {
    fn from(r: ReportRow) -> Self {
        ReportSummary {
            case_number: r.case_number.to_string(),
            state: r.state.to_string(),
            category: r.category,
            form_id: r.form_id,
            form_version: r.form_version,
            form_content_hash: r.content_hash,
            office_id: r.office_id,
            key_id: r.key_id,
            envelope_sha256: r.envelope_sha256,
            status: r.status,
            submitted_at: r.submitted_at,
            delivered_at: r.delivered_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ReportPage {
    pub items: Vec<ReportSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn list(req: HttpRequest, app: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&app, &req).await?;
    let ListQuery { status, page } = ListQuery::parse(req.query_string())?;
    let filter = ReportFilter {
        state: principal.state_filter(),
        status,
        after_id: page.after_id,
        ..ReportFilter::default()
    };
    let rows = store_staff::list_reports(&app.db, &filter, page.limit + 1, 0).await?;
    let (rows, next_cursor) = page.page(rows, |r| r.id);
    let page = ReportPage {
        items: rows.into_iter().map(ReportSummary::from).collect(),
        next_cursor,
    };
    Ok(HttpResponse::Ok().json(page))
}

async fn visible_report(
    app: &AppState,
    principal: &Principal,
    raw: &str,
) -> Result<ReportRow, ApiError> {
    reports::get_by_case_number(&app.db, &parse_case(raw)?)
        .await?
        .filter(|r| principal.sees(&r.state))
        .ok_or(ApiError::NotFound)
}

/// A pull receipt's body, `{"receipt": "v1=<hex>"}`, or 400 saying so.
pub(crate) fn receipt_body(body: &[u8]) -> Result<ReceiptBody, ApiError> {
    serde_json::from_slice(body).map_err(|_| {
        ApiError::BadRequest("the body must be JSON: {\"receipt\": \"v1=<hex>\"}".into())
    })
}

/// An envelope exactly as stored, as JSON.
pub(crate) fn envelope_response(envelope: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(envelope)
}

/// A case number from a path, or 400 with what is wrong with it.
pub(crate) fn parse_case(raw: &str) -> Result<CaseNumber, ApiError> {
    CaseNumber::parse(raw).map_err(|e| ApiError::BadRequest(format!("not a case number: {e}")))
}

/// The envelope JSON exactly as stored.
#[tracing::instrument(skip_all)]
pub async fn envelope(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<CasePath>,
) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&app, &req).await?;
    let report = visible_report(&app, &principal, &path.case_number).await?;
    let envelope = download_envelope(&app.db, &app.audit_key, &principal, &report)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(envelope_response(envelope))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ReceiptAccepted {
    pub case_number: String,
    pub status: String,
    /// False when the report had been acknowledged before.
    pub first: bool,
}

#[tracing::instrument(skip_all)]
pub async fn receipt(
    req: HttpRequest,
    app: web::Data<AppState>,
    path: web::Path<CasePath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let principal = authenticate(&app, &req).await?;
    let report = visible_report(&app, &principal, &path.case_number).await?;
    let parsed = receipt_body(&body)?;
    match receipts::accept(
        &app.db,
        &app.settings,
        &report,
        &parsed.receipt,
        &app.audit_key,
        &principal.actor,
    )
    .await
    {
        Ok(first) => Ok(HttpResponse::Ok().json(ReceiptAccepted {
            case_number: report.case_number.to_string(),
            status: "delivered".into(),
            first,
        })),
        Err(ReceiptError::Invalid) => Err(ApiError::InvalidReceipt),
        Err(ReceiptError::Store(e)) => Err(e.into()),
        Err(e @ (ReceiptError::Secret(_) | ReceiptError::Check(_))) => {
            Err(ApiError::Internal(Box::new(e)))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Any query gives a bounded list query or a 400 problem, never a panic.
        #[test]
        fn list_queries_parse_into_bounds_or_a_bad_request(raw in "((limit|cursor|status|x)=-?[0-9a-z%]{0,40}&?){0,5}") {
            match ListQuery::parse(&raw) {
                Ok(q) => {
                    prop_assert!((1..=MAX_LIMIT).contains(&q.page.limit));
                    prop_assert!(q.page.after_id.is_none_or(|id| id >= 0));
                }
                Err(e) => prop_assert_eq!(e.status_code(), StatusCode::BAD_REQUEST),
            }
        }
    }

    #[test]
    fn a_repeated_limit_is_refused_and_unknown_keys_are_ignored() {
        assert!(ListQuery::parse("limit=1&limit=2").is_err());
        let q = ListQuery::parse("x=1&limit=7&cursor=3&status=all").unwrap();
        assert_eq!(
            q,
            ListQuery {
                status: None,
                page: PageParams {
                    limit: 7,
                    after_id: Some(3)
                }
            }
        );
    }

    #[test]
    fn a_followup_page_defaults_to_the_old_hundred_and_ignores_status() {
        assert_eq!(
            followup_page("status=delivered").unwrap(),
            PageParams {
                limit: FOLLOWUP_DEFAULT_LIMIT,
                after_id: None
            }
        );
        assert!(followup_page("cursor=1&cursor=2").is_err());
        assert!(followup_page("limit=501").is_err());
        assert!(followup_page("cursor=-1").is_err());
    }

    #[test]
    fn a_page_names_its_last_row_only_when_more_follow() {
        let params = PageParams {
            limit: 2,
            after_id: None,
        };
        assert_eq!(
            params.page(vec![5, 7, 9], |r| *r),
            (vec![5, 7], Some("7".into()))
        );
        assert_eq!(params.page(vec![5, 7], |r| *r), (vec![5, 7], None));
    }
}
