//! A deadline for reading a whole request body. Without it a client that stops sending
//! (or a multipart body that never closes) holds its buffers and a task forever.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage};
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

/// `IW_BODY_DEADLINE_SECS`, registered as app data for the middleware.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// The request body, cut off with an error once the deadline has passed.
struct DeadlinePayload {
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
            return Poll::Ready(item);
        }
        // Polling the timer registers the waker, so a stalled client is noticed in time.
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired = true;
            self.cut.store(true, Ordering::Release);
            metrics::counter!("http_body_deadline_total").increment(1);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "request body deadline passed",
            )))));
        }
        Poll::Pending
    }
}

/// Wraps every request body in the deadline, for handlers and extractors alike.
pub async fn limit_body_time(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(BodyDeadline(limit)) = req
        .app_data::<web::Data<BodyDeadline>>()
        .map(|d| *d.get_ref())
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cut = Arc::new(AtomicBool::new(false));
    let wrapped = DeadlinePayload {
        inner: req.take_payload(),
        deadline: Box::pin(tokio::time::sleep_until(Instant::now() + limit)),
        expired: false,
        cut: cut.clone(),
    };
    req.set_payload(Payload::from(
        Box::pin(wrapped) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    let mut res = next.call(req).await?.map_into_boxed_body();
    if cut.load(Ordering::Acquire) {
        // The rest of that body is not worth reading: answer, then hang up.
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}
