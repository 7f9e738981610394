//! Database cuts (issue 11): a TCP proxy the test owns stands between the service and
//! PostgreSQL; the test cuts it and restores it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use internetwache::state_code::StateCode;

use crate::filing::Filler;
use crate::helpers::{browser, postgres_admin_url, ServeProcess};

/// Forwards TCP to `target` until cut: a cut drops every open connection and refuses new
/// ones until `restore`. A stall (blackhole) keeps connections open but passes nothing on.
struct CutProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl CutProxy {
    async fn start(target: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let cut = cut.clone();
            let stalled = stalled.clone();
            let connections = connections.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if cut.load(Ordering::Acquire) {
                        continue; // dropped: refused
                    }
                    let stalled = stalled.clone();
                    let task = tokio::spawn(async move {
                        if let Ok(server) = TcpStream::connect(target).await {
                            let (client_read, client_write) = client.into_split();
                            let (server_read, server_write) = server.into_split();
                            tokio::join!(
                                pump(client_read, server_write, stalled.clone()),
                                pump(server_read, client_write, stalled),
                            );
                        }
                    });
                    connections.lock().unwrap().push(task);
                }
            }
        });
        CutProxy {
            port,
            cut,
            stalled,
            connections,
            accept,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::Release);
        for task in self.connections.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::Release);
        self.stalled.store(false, Ordering::Release);
    }

    fn stall(&self) {
        self.stalled.store(true, Ordering::Release);
    }
}

/// Copies one direction; while stalled, holds what it read (a blackhole that may heal).
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, stalled: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while stalled.load(Ordering::Acquire) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// `/readyz` status and the `db_ready` gauge, read together.
async fn readiness(server: &ServeProcess, metrics_port: u16) -> (u16, Option<String>) {
    let client = browser();
    let ready = client
        .get(format!("{}/readyz", server.address()))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    let gauge = match client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
    {
        Ok(res) => res
            .text()
            .await
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("db_ready "))
            .map(str::to_owned),
        Err(_) => None,
    };
    (ready, gauge)
}

/// Polls until `/readyz` and `db_ready` agree on `want`; returns how long it took.
async fn wait_for(server: &ServeProcess, metrics_port: u16, want: bool) -> Duration {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    let (status, gauge) = if want {
        (200, "db_ready 1")
    } else {
        (503, "db_ready 0")
    };
    loop {
        let seen = readiness(server, metrics_port).await;
        if seen.0 == status && seen.1.as_deref() == Some(gauge) {
            return started.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "waited for /readyz {status} with {gauge}; saw {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The service behind a proxy to a fresh PostgreSQL database; drop the database after.
struct ProxiedService {
    proxy: CutProxy,
    server: Option<ServeProcess>,
    metrics_port: u16,
    admin: String,
    name: String,
}

impl ProxiedService {
    async fn start(extra: &[(&str, &str)]) -> Option<ProxiedService> {
        let admin = postgres_admin_url()?;
        let admin_url = url::Url::parse(&admin).unwrap();
        let target: SocketAddr = format!(
            "{}:{}",
            admin_url.host_str().unwrap(),
            admin_url.port().unwrap_or(5432)
        )
        .parse()
        .unwrap();
        let proxy = CutProxy::start(target).await;
        let name = format!("iw_test_cut_{}", uuid::Uuid::new_v4().simple());
        let mut url = admin_url.clone();
        url.set_port(Some(proxy.port)).unwrap();
        url.set_path(&name);
        let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let metrics_bind = format!("127.0.0.1:{metrics_port}");
        let mut env = vec![
            ("IW_DATABASE_URL", url.as_str()),
            ("IW_METRICS_BIND", metrics_bind.as_str()),
            ("IW_WORKERS", "0"),
            ("IW_LOG_LEVEL", "warn"),
        ];
        env.extend_from_slice(extra);
        let mut server = ServeProcess::start(&env);
        server.wait_ready().await;
        Some(ProxiedService {
            proxy,
            server: Some(server),
            metrics_port,
            admin,
            name,
        })
    }

    fn server(&self) -> &ServeProcess {
        self.server.as_ref().unwrap()
    }

    async fn drop_database(mut self) {
        self.server.take();
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackholed_database_gives_the_503_page_within_the_deadline() {
    let Some(service) = ProxiedService::start(&[("IW_DATABASE_DEADLINE_SECS", "2")]).await else {
        return;
    };
    let base = service.server().address();
    let client = browser();
    let page = client
        .get(format!("{base}/be/betrug"))
        .send()
        .await
        .unwrap();
    let csrf = crate::filing::csrf_token(&page.text().await.unwrap());
    let res = client
        .post(format!("{base}/be/betrug/start"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let step = format!("{base}{}", crate::filing::location(&res));
    assert_eq!(client.get(&step).send().await.unwrap().status(), 200);

    service.proxy.stall();
    let asked = Instant::now();
    let res = tokio::time::timeout(Duration::from_secs(20), client.get(&step).send())
        .await
        .expect("the request hangs on the blackholed database")
        .unwrap();
    let took = asked.elapsed();
    assert_eq!(res.status(), 503);
    let body = res.text().await.unwrap();
    assert!(body.contains("vorübergehend nicht verfügbar"), "{body}");
    assert!(took < Duration::from_secs(6), "503 only after {took:?}");

    service.proxy.restore();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    while client.get(&step).send().await.unwrap().status() != 200 {
        assert!(Instant::now() < deadline, "no recovery after the blackhole");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "blackholed database: 503 page after {:.1} s (deadline 2 s); step page back {:.1} s \
         after restore, no restart",
        took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    service.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_ready_follows_readiness_through_a_database_cut() {
    let Some(service) = ProxiedService::start(&[]).await else {
        return;
    };
    let (server, metrics_port) = (service.server(), service.metrics_port);
    wait_for(server, metrics_port, true).await;
    service.proxy.cut();
    let down = wait_for(server, metrics_port, false).await;
    service.proxy.restore();
    let up = wait_for(server, metrics_port, true).await;
    eprintln!(
        "database cut: /readyz 503 with db_ready 0 after {:.1} s; restored: 200 with db_ready 1 \
         after {:.1} s, no restart",
        down.as_secs_f64(),
        up.as_secs_f64()
    );
    service.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filing_during_a_cut_keeps_typed_values_then_one_case_number_delivered_once() {
    use crate::delivery_support::{delivered_count, police_key, push_config, start_sim, wait_for};
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let admin_url = url::Url::parse(&admin).unwrap();
    let target = format!(
        "{}:{}",
        admin_url.host_str().unwrap(),
        admin_url.port().unwrap_or(5432)
    );
    let proxy = CutProxy::start(target.parse().unwrap()).await;
    let (direct, database) = crate::helpers::create_pg_database(&admin).await;
    let mut proxied = url::Url::parse(&direct).unwrap();
    proxied.set_port(Some(proxy.port)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = police_key(dir.path());
    let sim = start_sim(&key, &dir.path().join("received"), Duration::from_secs(30));
    let config = push_config(&key, &sim.url());
    let app = crate::helpers::spawn_app_configured(
        crate::helpers::Backend::Sqlite,
        Some(&config),
        &[
            ("IW_DATABASE_URL", proxied.as_str()),
            ("IW_WORKERS", "1"),
            ("IW_WORKER_POLL_MS", "200"),
            ("IW_DATABASE_DEADLINE_SECS", "2"),
        ],
    )
    .await
    .unwrap();
    assert!(
        matches!(app.state.db, internetwache::store::Db::Postgres(_)),
        "the app runs behind the proxy"
    );
    let variant = app
        .state
        .forms
        .live(&app.state.db, &StateCode::parse("be").unwrap(), "hinweis")
        .await
        .unwrap()
        .unwrap();
    let mut filler = Filler::new(&crate::filing::postal_code_for(&app, "be"), "Cut");
    let mut url = crate::filing::start(&app, "be", "hinweis").await;

    // A step posted during the cut comes back with its typed values and a 503.
    let html = app.get(&url).await.text().await.unwrap();
    let step_csrf = crate::filing::csrf_token(&html);
    proxy.cut();
    let typed = [
        ("csrf_token", step_csrf.as_str()),
        ("f-typed", "Fahrrad Cut-Probe 42"),
    ];
    let res = app
        .client
        .post(app.url(&url))
        .form(&typed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let body = res.text().await.unwrap();
    assert!(body.contains("Ihre Angaben sind nicht verloren"), "{body}");
    assert!(body.contains("value=\"Fahrrad Cut-Probe 42\""), "{body}");
    proxy.restore();
    wait_for(
        "the step page after restore",
        Duration::from_secs(30),
        || async { app.get(&url).await.status() == 200 },
    )
    .await;

    while url.contains("/schritt/") {
        url = crate::filing::complete_step(&app, &variant, &url, &mut filler).await;
    }
    let review = app.get(&url).await.text().await.unwrap();
    let csrf = crate::filing::csrf_token(&review);
    let submit = app.url(&url.replace("/pruefen", "/absenden"));

    proxy.cut();
    let asked = Instant::now();
    let res = app
        .client
        .post(&submit)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let took = asked.elapsed();
    assert_eq!(res.status(), 503);
    let body = res.text().await.unwrap();
    assert!(body.contains("vorübergehend nicht verfügbar"), "{body}");
    assert!(!body.contains("bestaetigung"), "{body}");

    proxy.restore();
    let restored = Instant::now();
    wait_for(
        "the review page after restore",
        Duration::from_secs(30),
        || async { app.get(&url).await.status() == 200 },
    )
    .await;
    let back = restored.elapsed();
    let filed = crate::filing::submit_from_review(&app, &url, variant).await;
    let db = &app.state.db;
    let reports: i64 = internetwache::with_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM reports").fetch_one(pool).await.unwrap());
    assert_eq!(reports, 1, "the cut submission left no report behind");
    wait_for("the report delivered", Duration::from_secs(60), || async {
        delivered_count(db).await == 1
    })
    .await;
    let stats = sim.stats();
    assert_eq!(stats.requests.get(&filed.case_number), Some(&1));
    assert_eq!(stats.total_requests, 1);
    eprintln!(
        "submit during a database cut: 503 after {:.1} s, no case number; review back {:.1} s \
         after restore; one case number, delivered once, no restart",
        took.as_secs_f64(),
        back.as_secs_f64()
    );
    drop(app);
    drop(database);
}
