//! `internetwache serve` and `internetwache migrate`.

use std::process::ExitCode;

use crate::config::Settings;
use crate::startup::Application;
use crate::store::Db;
use crate::telemetry;

/// Exit status for a configuration the operator must fix.
pub const EXIT_CONFIG: u8 = 2;

/// Loads the settings or explains in one line which one is wrong.
pub fn settings_or_exit() -> Result<Settings, ExitCode> {
    Settings::load().map_err(|e| {
        eprintln!("internetwache: invalid configuration: {e}");
        ExitCode::from(EXIT_CONFIG)
    })
}

pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the operating system refused to start the async runtime")
}

pub fn run() -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    telemetry::init_logging(settings.log_format, &settings.log_level);
    runtime().block_on(async move {
        let bind = settings.bind;
        let app = match Application::build(settings).await {
            Ok(app) => app,
            Err(e) => {
                eprintln!("internetwache: {e:#}");
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        tracing::info!(%bind, port = app.port(), "serving");
        match app.run_until_stopped().await {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("internetwache: server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

pub fn migrate() -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    telemetry::init_logging(settings.log_format, &settings.log_level);
    runtime().block_on(async move {
        let result = async {
            Db::ensure_database(&settings.database_url).await?;
            let db = Db::connect_lazy(&settings.database_url, 1)?;
            db.migrate().await?;
            db.close().await;
            Ok::<_, crate::store::StoreError>(())
        }
        .await;
        match result {
            Ok(()) => {
                println!("migrations applied to {}", settings.database_url);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("internetwache: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves on SIGTERM or SIGINT.
pub(super) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
