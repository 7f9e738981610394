//! Building the application: database, bootstrap, HTTP server. Port 0 works, so tests run
//! the real thing.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};

use crate::app_state::{AppState, Readiness};
use crate::config::Settings;
use crate::crypto::audit_chain::AuditKey;
use crate::crypto::police_keys::PoliceKeys;
use crate::drafts::DraftService;
use crate::form_registry::directory::{CatalogDirectory, Directory};
use crate::form_registry::FormRegistry;
use crate::forms::Catalog;
use crate::http::assets::Assets;
use crate::http::csrf::CsrfKey;
use crate::http::deadlines::{BodyDeadline, DatabaseDeadline};
use crate::http::middleware;
use crate::http::rate_limit::RateLimit;
use crate::http::status_limits::StatusLimits;
use crate::queue::{Services, WorkerPool};
use crate::routes;
use crate::store::Db;
use crate::telemetry::error_chain;

struct MetricsListener {
    port: u16,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on its own listener, off the public port (already running).
    metrics: Option<MetricsListener>,
    state: web::Data<AppState>,
    workers: Option<WorkerPool>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        crate::private_files::create_dir(&settings.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "IW_DATA_DIR: cannot create {} (mode 0700): {e}",
                settings.data_dir.display()
            )
        })?;
        let catalog = Catalog::load(&settings.forms_dir).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            anyhow::anyhow!(
                "IW_FORMS_DIR: the form files have {} problem(s):\n{}",
                lines.len(),
                lines.join("\n")
            )
        })?;
        let states: Vec<String> = catalog.states().map(|s| s.code.to_string()).collect();
        let police_keys = PoliceKeys::load(&settings, &states)?;
        let csrf = CsrfKey::load(&settings.data_dir)
            .map_err(|e| anyhow::anyhow!("IW_DATA_DIR: cannot create the CSRF secret: {e}"))?;
        let audit_key = AuditKey::load(&settings.audit_key, &settings.data_dir)
            .map_err(|e| anyhow::anyhow!("IW_AUDIT_KEY: cannot load the audit key: {e}"))?;
        let db = Db::connect_lazy(&settings.database_url, settings.database_max_connections)?;
        let readiness = Readiness::default();
        let directory: Arc<dyn Directory> = Arc::new(CatalogDirectory::from_catalog(&catalog));
        let services = Arc::new(Services::new(&settings, db.clone(), directory.clone())?);
        let state = web::Data::new(AppState {
            drafts: DraftService::new(
                settings.draft_idle_minutes,
                settings.draft_max_hours,
                settings.draft_saved_days,
                settings.secure_cookies(),
            ),
            settings: settings.clone(),
            db,
            readiness: readiness.clone(),
            metrics: crate::telemetry::metrics_handle(),
            assets: Assets::new(),
            directory,
            services: services.clone(),
            forms: FormRegistry::new(catalog),
            police_keys,
            csrf,
            rate_limit: web::Data::new(RateLimit::new(settings.rate_limit_per_minute)),
            status_limits: StatusLimits::new(settings.status_attempts_per_hour),
            resume_limits: StatusLimits::new(settings.status_attempts_per_hour),
            audit_key,
            sealing: tokio::sync::Semaphore::new(crate::reports::submission::sealing_slots()),
        });

        // One attempt inline, so a healthy start is ready at once; retries in the background.
        if let Err(e) = bootstrap(&state).await {
            tracing::warn!(error = %format_args!("{e:#}"), "database not ready at start; retrying in the background");
            let state = state.clone();
            tokio::spawn(async move { bootstrap_until_ready(state).await });
        }
        tokio::spawn(sweep_expired_drafts(state.clone()));
        tokio::spawn(sweep_expired_sessions(state.clone()));

        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| anyhow::anyhow!("IW_BIND: cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let server_state = state.clone();
        let max_body = settings.max_upload_mb as usize * 1024 * 1024;
        let body_deadline = web::Data::new(BodyDeadline(state.body_deadline()));
        let database_deadline = web::Data::new(DatabaseDeadline(Duration::from_secs(
            settings.database_deadline_secs,
        )));
        let hsts = web::Data::new(middleware::Hsts(settings.public_url.is_https()));
        let trusted_proxies = web::Data::new(settings.trusted_proxies.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(server_state.clone())
                .app_data(server_state.rate_limit.clone())
                .app_data(body_deadline.clone())
                .app_data(database_deadline.clone())
                .app_data(hsts.clone())
                .app_data(trusted_proxies.clone())
                .app_data(web::FormConfig::default().limit(256 * 1024))
                .app_data(web::PayloadConfig::default().limit(max_body))
                // A malformed path number is a bad request, not a missing page.
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|e, _| actix_web::error::ErrorBadRequest(e.to_string())),
                )
                .configure(routes::configure)
                .default_service(web::to(crate::http::errors::not_found))
                .wrap(Compress::default())
                .wrap(from_fn(crate::http::deadlines::limit_request_time))
                .wrap(from_fn(crate::http::rate_limit::rate_limit))
                .wrap(from_fn(middleware::security_headers))
                .wrap(from_fn(middleware::observe))
        })
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .listen(listener)?
        .run();

        let metrics = match settings.metrics_bind.0 {
            None => None,
            Some(addr) => Some(metrics_server(
                state.clone(),
                addr,
                settings.shutdown_timeout_secs,
            )?),
        };

        let workers = (settings.workers > 0).then(|| WorkerPool::start(services, settings.workers));

        Ok(Application {
            port,
            server,
            metrics,
            state,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Port of the metrics listener, when `IW_METRICS_BIND` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|m| m.port)
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM/SIGINT; in-flight requests get `IW_SHUTDOWN_TIMEOUT_SECS` to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(metrics) = self.metrics {
            metrics.handle.stop(false).await;
            let _ = metrics.task.await;
        }
        if let Some(workers) = self.workers {
            let grace = Duration::from_secs(self.state.settings.shutdown_timeout_secs);
            workers.stop(grace).await;
        }
        result
    }
}

/// The operators' listener: `/metrics` and nothing else.
fn metrics_server(
    state: web::Data<AppState>,
    addr: std::net::SocketAddr,
    shutdown_timeout_secs: u64,
) -> anyhow::Result<MetricsListener> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| anyhow::anyhow!("IW_METRICS_BIND: cannot listen on {addr}: {e}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(routes::health::metrics))
    })
    .workers(1)
    .shutdown_timeout(shutdown_timeout_secs)
    .listen(listener)?
    .run();
    // A server does nothing until polled; this one runs beside the public one.
    Ok(MetricsListener {
        port,
        handle: server.handle(),
        task: tokio::spawn(server),
    })
}

/// Creates the database if needed and applies migrations.
async fn bootstrap(state: &AppState) -> anyhow::Result<()> {
    Db::ensure_database(&state.settings.database_url).await?;
    state.db.migrate().await?;
    let seeded = state.forms.seed(&state.db).await?;
    tracing::info!(
        registered = seeded.registered,
        unchanged = seeded.unchanged,
        refused = seeded.refused.len(),
        "form files seeded"
    );
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
                tracing::warn!(error = %format_args!("{e:#}"), retry_in_s = delay.as_secs(), "database still not ready");
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Hard-deletes expired drafts, so nothing a citizen abandoned outlives its expiry for long.
async fn sweep_expired_drafts(state: web::Data<AppState>) {
    let mut interval = tokio::time::interval(Duration::from_secs(300));
    loop {
        interval.tick().await;
        state.rate_limit.forget_idle();
        state.status_limits.forget_idle();
        state.resume_limits.forget_idle();
        if !state.readiness.is_ready() {
            continue;
        }
        match crate::store::drafts::delete_expired(&state.db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "expired drafts deleted"),
            Err(e) => tracing::warn!(error = %error_chain(&e), "could not delete expired drafts"),
        }
    }
}

/// Deletes ended staff sessions now and then (they are refused on sight anyway).
async fn sweep_expired_sessions(app: web::Data<AppState>) {
    let mut interval = tokio::time::interval(Duration::from_secs(300));
    loop {
        interval.tick().await;
        if !app.readiness.is_ready() {
            continue;
        }
        let now = chrono::Utc::now();
        let idle = chrono::Duration::minutes(i64::from(app.settings.staff_session_idle_minutes));
        if let Err(e) = crate::store::staff::delete_expired_sessions(&app.db, now, now - idle).await
        {
            tracing::warn!(error = %error_chain(&e), "could not delete expired staff sessions");
        }
    }
}
