//! The HTTP side of the inbox: the push endpoint (`POST /api/v1/push`), the export API, the
//! clerks' pages and a health check.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

use crate::http::errors::{inbox_error_page, ErrorPageBody};
use crate::http::page::request_lang;

use super::context::Inbox;
use super::push::{self, PushHeaders};

/// Push path on the inbox; the intake's `[police.<xx>.delivery] url` points here.
pub const PUSH_PATH: &str = "/api/v1/push";

/// The inbox's HTTP server on `listener`.
pub fn http_server(
    inbox: Arc<Inbox>,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::from(inbox);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::default().limit(64 * 1024 * 1024))
            .route(PUSH_PATH, web::post().to(receive_push))
            .route("/healthz", web::get().to(HttpResponse::Ok))
            .configure(super::export_api::configure)
            .configure(super::clerk_pages::configure)
            .default_service(web::to(not_found))
            .wrap(ErrorHandlers::new().default_handler(inbox_error_pages))
    })
    .workers(2)
    .shutdown_timeout(10)
    .listen(listener)?
    .run())
}

async fn receive_push(req: HttpRequest, inbox: web::Data<Inbox>, body: web::Bytes) -> HttpResponse {
    let headers = PushHeaders::of(&req);
    let secret = headers.state().and_then(|s| inbox.secret(&s));
    let Some(secret) = secret.filter(|s| headers.authentic(s, &body)) else {
        return push::unauthorized();
    };
    match push::accept(&inbox.receiver, secret, &headers, &body).await {
        Ok((_, receipt)) => HttpResponse::Ok().json(receipt),
        Err(e) => push::error_response(&e),
    }
}

async fn not_found(req: HttpRequest) -> HttpResponse {
    inbox_error_page(request_lang(&req), StatusCode::NOT_FOUND)
}

/// The shared error page (a handler's `PageError`) in the inbox's own frame and the
/// clerk's language; every other answer (problem JSON, form pages) passes unchanged.
fn inbox_error_pages<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if res.response().extensions().get::<ErrorPageBody>().is_none() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (status, lang) = (res.status(), request_lang(res.request()));
    let (req, _) = res.into_parts();
    let page = inbox_error_page(lang, status);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}
