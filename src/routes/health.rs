//! Liveness, readiness and metrics for operators.

use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::app_state::AppState;

/// 200 while the process runs.
#[tracing::instrument(skip_all)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready means: schema in place and the database answering now. `db_ready` follows it
/// both ways, whoever asked.
async fn probe(state: &AppState) -> Result<(), &'static str> {
    let verdict = if !state.readiness.is_ready() {
        Err("database not ready: schema not applied yet")
    } else if state.db.ping(Duration::from_secs(2)).await {
        Ok(())
    } else {
        Err("database not answering")
    };
    metrics::gauge!("db_ready").set(if verdict.is_ok() { 1.0 } else { 0.0 });
    verdict
}

/// 200 when the database answers and its schema is in place; 503 otherwise.
#[tracing::instrument(skip_all)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match probe(&state).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(why) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body(why),
    }
}

/// Prometheus text format, on the metrics listener only (`IW_METRICS_BIND`). Every
/// database read here is bounded: a ping with a deadline, then grouped counts under one.
#[tracing::instrument(skip_all)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (size, idle) = state.db.pool_state();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    if probe(&state).await.is_ok() {
        let read = crate::queue::metrics::record(&state.db, &state.settings);
        match tokio::time::timeout(Duration::from_secs(2), read).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot read queue metrics"),
            Err(_) => tracing::warn!("queue metrics not read in time"),
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
