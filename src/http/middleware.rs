//! Middleware applied to every response: security headers, request metrics and logs.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};

use crate::http::errors::{branded_error, PageError};

/// No inline script anywhere; forms post only to us; nobody may frame us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Registered as app data: whether to send HSTS (the public URL is https).
#[derive(Debug, Clone, Copy)]
pub struct Hsts(pub bool);

/// The status of an error response that did not come out as our page or problem document:
/// page errors (rendered without the request, so in German) and the framework's own
/// plain-text answers (extractors, 404/405/415).
fn unbranded_error(res: &ServiceResponse<BoxBody>) -> Option<actix_web::http::StatusCode> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    if let Some(e) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<PageError>())
    {
        return Some(e.status_code());
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ours = content_type.starts_with("text/html")
        || content_type.starts_with("application/problem+json");
    (!ours).then_some(status)
}

/// The headers every response carries; also used for answers built outside the chain.
pub fn set_security_headers(headers: &mut actix_web::http::header::HeaderMap, hsts: bool) {
    let fixed: [(HeaderName, &str); 6] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Adds the security headers. Handler and extractor errors reach this point as error
/// responses (actix converts them inside the resource), so error pages get them too.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res_hsts = req.app_data::<web::Data<Hsts>>().is_some_and(|h| h.0);
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Some(status) = unbranded_error(&res) {
        let branded = branded_error(res.request(), status);
        res = res.into_response(branded);
    }
    set_security_headers(res.headers_mut(), res_hsts);
    Ok(res)
}

/// Metric labels come from closed sets only: a client may send any method string.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Counts requests and their latency by route pattern, never by concrete path, so no
/// identifier ends up in a metric or log line.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status.to_string()).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route.clone()).record(elapsed.as_secs_f64());
    tracing::info!(
        target: "http",
        %method,
        %route,
        status,
        elapsed_ms = elapsed.as_millis() as u64,
        "request"
    );
    Ok(res)
}
