//! Per-client rate limit on everything that writes (POST) and on the pull API, so a flood
//! from one address cannot exhaust the database or the workers. Per instance, in memory.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::http::errors::error_page;
use crate::http::page::request_lang;

pub struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl RateLimit {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        RateLimit {
            limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Forgets addresses whose allowance is full again, so memory stays bounded.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
        }
    }

    /// `Err(seconds to wait)` when this address is over its allowance.
    fn check(&self, ip: IpAddr) -> Result<(), u64> {
        match &self.limiter {
            None => Ok(()),
            Some(limiter) => limiter.check_key(&ip).map_err(|not_until| {
                not_until
                    .wait_time_from(DefaultClock::default().now())
                    .as_secs()
                    + 1
            }),
        }
    }
}

fn limited(req: &ServiceRequest) -> bool {
    req.method() == Method::POST || req.path().starts_with("/api/")
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let verdict = match (req.app_data::<web::Data<RateLimit>>(), req.peer_addr()) {
        (Some(limit), Some(peer)) if limited(&req) => limit.check(peer.ip()),
        _ => Ok(()),
    };
    let Err(wait) = verdict else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    metrics::counter!("http_rate_limited_total").increment(1);
    let response = if req.path().starts_with("/api/") {
        HttpResponse::TooManyRequests()
            .content_type("application/problem+json")
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .body(
                serde_json::json!({
                    "type": "about:blank",
                    "title": "Too Many Requests",
                    "status": 429,
                    "detail": format!("Too many requests from this address; retry in {wait} s."),
                })
                .to_string(),
            )
    } else {
        let mut page = error_page(request_lang(req.request()), StatusCode::TOO_MANY_REQUESTS);
        page.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_str(&wait.to_string()).expect("digits are a valid header"),
        );
        page
    };
    Ok(req.into_response(response))
}
