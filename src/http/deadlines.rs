//! Deadlines on each request. The body must arrive within `IW_BODY_DEADLINE_SECS`: without
//! it a client that stops sending (or a multipart body that never closes) holds its buffers
//! and a task forever. Once the body is in, the handler's work (its database calls) must be
//! done within `IW_DATABASE_DEADLINE_SECS`: a database the network blackholes would
//! otherwise hold a request on an open connection for as long as TCP takes to give up.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{header, ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::Stream;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::http::errors::{error_page, problem_response};
use crate::http::middleware::{set_security_headers, Hsts};
use crate::http::page::request_lang;
use crate::i18n::Lang;

/// `IW_BODY_DEADLINE_SECS`, registered as app data for the middleware.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// `IW_DATABASE_DEADLINE_SECS`, registered as app data for the middleware.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseDeadline(pub Duration);

/// The request body, cut off with an error once the deadline has passed.
struct DeadlinePayload {
    /// Told when the body has ended one way or another; the work deadline starts then.
    body_done: Arc<Notify>,
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    expired: bool,
    /// Shared with the middleware, which then closes the connection after answering.
    cut: Arc<AtomicBool>,
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            if !matches!(item, Some(Ok(_))) {
                self.body_done.notify_one();
            }
            return Poll::Ready(item);
        }
        // Polling the timer registers the waker, so a stalled client is noticed in time.
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired = true;
            self.cut.store(true, Ordering::Release);
            self.body_done.notify_one();
            metrics::counter!("http_body_deadline_total").increment(1);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "request body deadline passed",
            )))));
        }
        Poll::Pending
    }
}

/// Wraps every request body in its deadline, for handlers and extractors alike, and
/// answers 503 when the work after the body overruns the database deadline.
pub async fn limit_request_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let body_limit = req
        .app_data::<web::Data<BodyDeadline>>()
        .map(|d| d.get_ref().0);
    let work_limit = req
        .app_data::<web::Data<DatabaseDeadline>>()
        .map(|d| d.get_ref().0);
    let Some(body_limit) = body_limit else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cut = Arc::new(AtomicBool::new(false));
    let body_done = Arc::new(Notify::new());
    if !has_body(&req) {
        body_done.notify_one();
    }
    let wrapped = DeadlinePayload {
        body_done: body_done.clone(),
        inner: req.take_payload(),
        deadline: Box::pin(tokio::time::sleep_until(Instant::now() + body_limit)),
        expired: false,
        cut: cut.clone(),
    };
    req.set_payload(Payload::from(
        Box::pin(wrapped) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    // What the 503 needs, taken now: the request itself goes to the handler for good.
    let overran = Overran {
        api: req.path().starts_with("/api/"),
        lang: request_lang(req.request()),
        hsts: req.app_data::<web::Data<Hsts>>().is_some_and(|h| h.0),
    };
    let overrun = async {
        match work_limit {
            Some(limit) => {
                body_done.notified().await;
                tokio::time::sleep(limit).await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    let mut res = tokio::select! {
        res = next.call(req) => res?.map_into_boxed_body(),
        () = overrun => {
            metrics::counter!("http_database_deadline_total").increment(1);
            tracing::warn!("a request overran the database deadline");
            return Err(overran.into());
        }
    };
    if cut.load(Ordering::Acquire) {
        // The rest of that body is not worth reading: answer, then hang up.
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}

/// The answer to a request that overran the database deadline. It leaves the middleware
/// chain as an error (the handler, and the request with it, are gone), so it brings its
/// own security headers.
#[derive(Debug, thiserror::Error)]
#[error("the request overran the database deadline")]
struct Overran {
    api: bool,
    lang: Lang,
    hsts: bool,
}

impl ResponseError for Overran {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut res = if self.api {
            problem_response(status, "The database did not answer in time; retry later.")
        } else {
            error_page(self.lang, status)
        };
        set_security_headers(res.headers_mut(), self.hsts);
        res
    }
}

/// Whether a body follows the head (a length above zero, or chunked).
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}
