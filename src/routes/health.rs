//! Liveness, readiness and metrics for operators.

use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::app_state::AppState;

/// 200 while the process runs.
#[tracing::instrument(skip_all)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// 200 when the database answers and its schema is in place; 503 otherwise.
#[tracing::instrument(skip_all)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if !state.readiness.is_ready() {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database not ready: schema not applied yet");
    }
    if state.db.ping(Duration::from_secs(2)).await {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database not answering")
    }
}

/// Prometheus text format.
#[tracing::instrument(skip_all)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (size, idle) = state.db.pool_state();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("db_ready").set(if state.readiness.is_ready() { 1.0 } else { 0.0 });
    if state.readiness.is_ready() {
        if let Err(e) = crate::queue::metrics::record(&state.db, &state.settings).await {
            tracing::warn!(error = %e, "cannot read queue metrics");
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
