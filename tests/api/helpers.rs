//! `spawn_app`: the real application on port 0 with a fresh database per test.

use std::sync::OnceLock;

use actix_web::web;
use internetwache::app_state::AppState;
use internetwache::config::Settings;
use internetwache::startup::Application;
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[allow(dead_code)] // not every test binary module reads every field
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub state: web::Data<AppState>,
    pub backend: Backend,
    pub database_url: String,
    pub dir: TempDir,
    /// The data dir, so a second instance can share the keys.
    pub data_dir: std::path::PathBuf,
    /// The operators' listener (`IW_METRICS_BIND`), off the public port.
    pub metrics_address: String,
    pg_database: Option<PgTestDatabase>,
}

impl TestApp {
    /// A new browser: fresh cookie jar.
    pub fn client_reset(&mut self) {
        self.client = browser();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The Prometheus text from the metrics listener.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.metrics_address))
            .send()
            .await
            .expect("metrics scrape")
            .text()
            .await
            .expect("metrics text")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request failed")
    }
}

/// A throw-away PostgreSQL database, dropped when the test ends.
pub struct PgTestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside async context; a short-lived runtime on its own thread does the work.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Where the PostgreSQL variants run when `IW_TEST_POSTGRES_URL` is unset.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The PostgreSQL server tests run against, or `None` when this run skips PostgreSQL.
/// Skipping takes an explicit `IW_TEST_SKIP_POSTGRES=1`, which `CI=true` refuses: a
/// missing server fails the PostgreSQL variants instead of letting them pass untested.
pub fn postgres_admin_url() -> Option<String> {
    if std::env::var("IW_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "IW_TEST_SKIP_POSTGRES=1 is refused with CI=true: PostgreSQL tests must run in CI"
        );
        static WARNED: OnceLock<()> = OnceLock::new();
        // Straight to stderr: the test harness would capture `eprintln!` of a passing test.
        WARNED.get_or_init(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "IW_TEST_SKIP_POSTGRES=1: SKIPPING the PostgreSQL variants (they pass untested)"
            );
        });
        return None;
    }
    let url = std::env::var("IW_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned());
    Some(url)
}

pub async fn create_pg_database(admin_url: &str) -> (String, PgTestDatabase) {
    use sqlx::Connection;
    let name = format!("iw_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} (IW_TEST_POSTGRES_URL) is not reachable: {e}. Start it, or set \
                 IW_TEST_SKIP_POSTGRES=1 to skip the PostgreSQL variants",
                internetwache::config::redact_url_password(admin_url)
            )
        });
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .expect("cannot create a test database");
    let mut url = url::Url::parse(admin_url).expect("IW_TEST_POSTGRES_URL is not a URL");
    url.set_path(&name);
    (
        url.to_string(),
        PgTestDatabase {
            admin_url: admin_url.to_owned(),
            name,
        },
    )
}

/// Starts the application on `backend`; `None` means the PostgreSQL variant is skipped.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> Option<TestApp> {
    spawn_app_configured(backend, None, overrides).await
}

/// Like `spawn_app_with`, plus a configuration file (for `[police.<state>]` tables).
pub async fn spawn_app_configured(
    backend: Backend,
    config_toml: Option<&str>,
    overrides: &[(&str, &str)],
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg_database) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("test.db").display()),
            None,
        ),
        Backend::Postgres => {
            let admin = postgres_admin_url()?;
            let (url, db) = create_pg_database(&admin).await;
            (url, Some(db))
        }
    };
    let data_dir = dir.path().join("var");
    let mail_url = format!("file://{}", dir.path().join("mail").display());
    let forms_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/forms");
    let mut settings_env: Vec<(&str, &str)> = vec![
        ("IW_BIND", "127.0.0.1:0"),
        ("IW_DATABASE_URL", &database_url),
        ("IW_DATA_DIR", data_dir.to_str().expect("utf-8 temp path")),
        ("IW_FORMS_DIR", forms_dir),
        ("IW_MAIL_URL", &mail_url),
        ("IW_SHUTDOWN_TIMEOUT_SECS", "1"),
        ("IW_METRICS_BIND", "127.0.0.1:0"),
        // Tests file hundreds of reports from one address; the limit has its own test.
        ("IW_RATE_LIMIT_PER_MINUTE", "0"),
        // Tests sweep with a clock of their own; a background sweep would hold the lock.
        ("IW_RETENTION_SWEEP_MINUTES", "0"),
    ];
    settings_env.extend_from_slice(overrides);
    let config_file = config_toml.map(|toml| {
        let path = dir.path().join("internetwache.toml");
        std::fs::write(&path, toml).expect("write the test configuration");
        path
    });
    let env = settings_env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings = Settings::from_parts(config_file.as_deref(), env).expect("test settings");
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let port = app.port();
    let metrics_address = app
        .metrics_port()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .unwrap_or_default();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    let client = browser();
    Some(TestApp {
        metrics_address,
        address: format!("http://127.0.0.1:{port}"),
        port,
        client,
        state,
        backend,
        database_url,
        dir,
        data_dir,
        pg_database,
    })
}

/// A second instance on the same database and data dir (shared keys), like a second
/// replica behind a load balancer. It never drops the database.
pub async fn spawn_sibling(first: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mail_url = format!("file://{}", dir.path().join("mail").display());
    let forms_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/forms");
    let settings = Settings::with_overrides(&[
        ("IW_BIND", "127.0.0.1:0"),
        ("IW_DATABASE_URL", &first.database_url),
        (
            "IW_DATA_DIR",
            first.data_dir.to_str().expect("utf-8 temp path"),
        ),
        ("IW_FORMS_DIR", forms_dir),
        ("IW_MAIL_URL", &mail_url),
        ("IW_SHUTDOWN_TIMEOUT_SECS", "1"),
    ])
    .expect("test settings");
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let port = app.port();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: browser(),
        state,
        backend: first.backend,
        dir,
        database_url: first.database_url.clone(),
        data_dir: first.data_dir.clone(),
        metrics_address: String::new(),
        pg_database: None,
    }
}

/// Writes a test once per engine: `on_both_engines!(name);` runs `async fn name(app: TestApp)`
/// as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite)
                    .await
                    .expect("SQLite is always available");
                super::$name(app).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) =
                    $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await
                {
                    super::$name(app).await;
                }
            }
        }
    )+};
}

/// An HTTP client that behaves like a browser without JavaScript: cookies, no auto-redirects
/// (tests follow them explicitly).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client")
}

/// Another browser on the same running app (its own cookie jar).
#[allow(dead_code)] // used by the benchmark
pub fn browser_app(app: &TestApp) -> TestApp {
    TestApp {
        address: app.address.clone(),
        port: app.port,
        client: browser(),
        state: app.state.clone(),
        backend: app.backend,
        database_url: app.database_url.clone(),
        dir: tempfile::tempdir().expect("temp dir"),
        data_dir: app.data_dir.clone(),
        metrics_address: app.metrics_address.clone(),
        pg_database: None,
    }
}

/// `internetwache serve` as a separate process with a fresh SQLite database; stderr goes to
/// a file so nothing blocks on a full pipe.
#[allow(dead_code)] // not every test binary module uses every method
pub struct ServeProcess {
    pub child: std::process::Child,
    pub port: u16,
    pub dir: TempDir,
    log_path: std::path::PathBuf,
}

#[allow(dead_code)]
impl ServeProcess {
    pub fn start(extra_env: &[(&str, &str)]) -> ServeProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = reserve_port();
        let log_path = dir.path().join("stderr.log");
        let log_file = std::fs::File::create(&log_path).expect("log file");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_internetwache"))
            .arg("serve")
            .env_clear()
            .env("IW_BIND", format!("127.0.0.1:{port}"))
            .env(
                "IW_DATABASE_URL",
                format!("sqlite://{}/iw.db", dir.path().display()),
            )
            .env("IW_DATA_DIR", dir.path().join("var"))
            .env(
                "IW_FORMS_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/forms"),
            )
            .env(
                "IW_MAIL_URL",
                format!("file://{}/mail", dir.path().display()),
            )
            .envs(extra_env.iter().copied())
            .stderr(std::process::Stdio::from(log_file))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("binary starts");
        ServeProcess {
            child,
            port,
            dir,
            log_path,
        }
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `/readyz` until it answers 200. Fails at once if the process ended (e.g. its
    /// port was taken), else after a minute: migrating a fresh database on a loaded 2-core
    /// machine running the whole suite took longer than the ten seconds allowed before.
    pub async fn wait_ready(&mut self) {
        let client = browser();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the service exited ({status}) before ready: {}",
                    self.logs()
                );
            }
            if let Ok(res) = client
                .get(format!("{}/readyz", self.address()))
                .send()
                .await
            {
                if res.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the service did not become ready: {}", self.logs());
    }

    /// Sends SIGTERM and waits for the process to end.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("process ends")
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port for a process the test starts later, when the number must be known before
/// anyone listens (the intake's config names the inbox's port before the inbox runs).
/// Releasing a `bind(:0)` port and binding it again later let other tests take it in
/// between on a loaded machine: another test's inbox then received this test's reports (and
/// stored them as "nicht lesbar"), or this inbox could not bind and never received any.
/// So every port is handed out once per test binary (a counter walks the range), and the
/// range lies below the kernel's ephemeral ports, which `bind(:0)` and outgoing connections
/// use, so neither can be given it. The starting point differs per process.
#[allow(dead_code)] // not every test binary uses it
pub fn reserve_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOWEST: u32 = 20_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let span = ephemeral.saturating_sub(LOWEST).max(1_000);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % span,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..span {
        let port = LOWEST + NEXT.fetch_add(1, Ordering::SeqCst) % span;
        // Someone outside this binary may listen there already.
        if std::net::TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
            return port as u16;
        }
    }
    panic!(
        "no free loopback port between {LOWEST} and {}",
        LOWEST + span
    );
}
