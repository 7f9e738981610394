//! Structured logs (tracing) and the Prometheus recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// actix-http logs each malformed request (a bad header byte, a head too large, a body cut
/// off) as an ERROR of its connection dispatcher, after it has answered it (400, 431).
/// Anyone can produce those at will, and the dispatcher logs nothing else that is not about
/// one connection, so it stays out of the log unless the filter names `actix_http`.
const MALFORMED_REQUEST_NOISE: &str = "actix_http::h1::dispatcher=off";

/// The operator's filter (`IW_LOG_LEVEL`), with the dispatcher's noise off unless it names
/// `actix_http` itself.
fn log_filter(level: &str) -> EnvFilter {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    match MALFORMED_REQUEST_NOISE.parse() {
        Ok(quiet) if !level.contains("actix_http") => filter.add_directive(quiet),
        _ => filter,
    }
}

/// Installs the global log subscriber once; later calls are ignored (tests start many apps).
pub fn init_logging(format: LogFormat, level: &str) {
    let filter = log_filter(level);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The process-wide Prometheus recorder; `metrics` macros record into it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            PrometheusBuilder::new()
                .set_buckets(&buckets)
                .expect("static bucket list is not empty")
                .install_recorder()
                .unwrap_or_else(|_| {
                    // Another recorder was installed first (only possible in tests).
                    PrometheusBuilder::new().build_recorder().handle()
                })
        })
        .clone()
}

/// An error and its causes on one line, outermost first, for logs. A cause whose text the
/// line already holds (many errors print their source in their own message) is not repeated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("database error: {0}")]
        Quoting(#[source] Inner),
        #[error("drafts are unavailable")]
        Silent(#[source] Inner),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("connection reset")]
    struct Inner;

    #[test]
    fn each_cause_appears_once() {
        assert_eq!(
            error_chain(&Outer::Quoting(Inner)),
            "database error: connection reset"
        );
        assert_eq!(
            error_chain(&Outer::Silent(Inner)),
            "drafts are unavailable: connection reset"
        );
    }
}
