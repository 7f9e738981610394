//! `internetwache worker`: queue workers without the web server.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::serve::{runtime, settings_or_exit, EXIT_CONFIG};
use crate::form_registry::directory::{CatalogDirectory, Directory, FallbackDirectory};
use crate::forms::Catalog;
use crate::queue::{Services, WorkerPool};
use crate::store::Db;
use crate::telemetry;

pub fn run() -> ExitCode {
    let settings = match settings_or_exit() {
        Ok(s) => s,
        Err(code) => return code,
    };
    telemetry::init_logging(settings.log_format, &settings.log_level);
    runtime().block_on(async move {
        let db = match Db::connect_lazy(&settings.database_url, settings.database_max_connections) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("internetwache: {e:#}");
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        // Migrate like `serve` does; workers keep retrying if the database is not up yet.
        let migrated = async {
            Db::ensure_database(&settings.database_url).await?;
            db.migrate().await
        }
        .await;
        if let Err(e) = migrated {
            tracing::warn!(error = %crate::telemetry::error_chain(&e), "database not ready at start; workers will retry");
        }
        let directory: Arc<dyn Directory> = match Catalog::load(&settings.forms_dir) {
            Ok(catalog) => Arc::new(CatalogDirectory::from_catalog(&catalog)),
            Err(problems) => {
                tracing::warn!(
                    problems = problems.len(),
                    "IW_FORMS_DIR cannot be loaded; e-mails use generic office names"
                );
                Arc::new(FallbackDirectory)
            }
        };
        let services = match Services::new(&settings, db, directory) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                eprintln!("internetwache: {e:#}");
                return ExitCode::from(EXIT_CONFIG);
            }
        };
        let pool = WorkerPool::start(services, settings.workers.max(1));
        tracing::info!(workers = ?pool.worker_ids(), "worker process running");
        super::serve::wait_for_signal().await;
        pool.stop(Duration::from_secs(settings.shutdown_timeout_secs))
            .await;
        ExitCode::SUCCESS
    })
}
