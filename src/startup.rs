//! Building the application: database, bootstrap, HTTP server. Port 0 works, so tests run
//! the real thing.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpRequest, HttpServer};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Settings;
use crate::directory::{Directory, FallbackDirectory};
use crate::http::middleware;
use crate::http::page::PageContext;
use crate::i18n::Lang;
use crate::queue::{Services, WorkerPool};
use crate::routes;
use crate::routes::assets::Assets;
use crate::store::Db;

/// Whether the database has been created and migrated. Pages render either way;
/// `/readyz` and anything that stores data need it.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Shared state of one running instance.
pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub readiness: Readiness,
    pub metrics: PrometheusHandle,
    pub assets: Assets,
    /// Names of state desks and offices (swap in the forms catalog's directory).
    pub directory: Arc<dyn Directory>,
    /// What queue jobs need; also the pull API's receipt check (`delivery::accept_receipt`).
    pub services: Arc<Services>,
}

impl AppState {
    pub fn page(&self, req: &HttpRequest) -> PageContext {
        PageContext::new(req, &self.assets, self.demo_mode())
    }

    /// True while reports are sealed to generated demo keys instead of configured ones.
    pub fn demo_mode(&self) -> bool {
        self.settings.police.values().all(|p| p.keys.is_empty())
    }

    /// (code, name) of every state offered, in the order they are listed.
    pub fn state_names(&self, _lang: Lang) -> Vec<(String, String)> {
        Vec::new()
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    workers: Option<WorkerPool>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect_lazy(&settings.database_url, settings.database_max_connections)?;
        let readiness = Readiness::default();
        let directory: Arc<dyn Directory> = Arc::new(FallbackDirectory);
        let services = Arc::new(Services::new(&settings, db.clone(), directory.clone())?);
        let state = web::Data::new(AppState {
            settings: settings.clone(),
            db,
            readiness: readiness.clone(),
            metrics: crate::telemetry::metrics_handle(),
            assets: Assets::new(),
            directory,
            services: services.clone(),
        });

        // One attempt inline, so a healthy start is ready at once; retries in the background.
        if let Err(e) = bootstrap(&state).await {
            tracing::warn!(error = %e, "database not ready at start; retrying in the background");
            let state = state.clone();
            tokio::spawn(async move { bootstrap_until_ready(state).await });
        }

        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("IW_BIND: cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let server_state = state.clone();
        let max_body = settings.max_upload_mb as usize * 1024 * 1024;
        let server = HttpServer::new(move || {
            App::new()
                .app_data(server_state.clone())
                .app_data(web::FormConfig::default().limit(256 * 1024))
                .app_data(web::PayloadConfig::default().limit(max_body))
                .configure(routes::configure)
                .default_service(web::to(crate::http::errors::not_found))
                .wrap(Compress::default())
                .wrap(from_fn(middleware::security_headers))
                .wrap(from_fn(middleware::observe))
        })
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .listen(listener)?
        .run();

        let workers = (settings.workers > 0).then(|| WorkerPool::start(services, settings.workers));

        Ok(Application {
            port,
            server,
            state,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM/SIGINT; in-flight requests get `IW_SHUTDOWN_TIMEOUT_SECS` to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(workers) = self.workers {
            let grace = Duration::from_secs(self.state.settings.shutdown_timeout_secs);
            workers.stop(grace).await;
        }
        result
    }
}

/// Creates the database if needed and applies migrations.
async fn bootstrap(state: &AppState) -> anyhow::Result<()> {
    Db::ensure_database(&state.settings.database_url).await?;
    state.db.migrate().await?;
    state.readiness.set_ready();
    tracing::info!(engine = ?state.db.engine(), "database ready");
    Ok(())
}

async fn bootstrap_until_ready(state: web::Data<AppState>) {
    let mut delay = Duration::from_secs(1);
    loop {
        tokio::time::sleep(delay).await;
        match bootstrap(&state).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, retry_in_s = delay.as_secs(), "database still not ready");
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}
