//! Database cuts (issue 11): a TCP proxy the test owns stands between the service and
//! PostgreSQL; the test cuts it and restores it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::{browser, postgres_admin_url, ServeProcess};

/// Forwards TCP to `target` until cut: a cut drops every open connection and refuses new
/// ones until `restore`.
struct CutProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl CutProxy {
    async fn start(target: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = tokio::spawn({
            let cut = cut.clone();
            let connections = connections.clone();
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    if cut.load(Ordering::Acquire) {
                        continue; // dropped: refused
                    }
                    let task = tokio::spawn(async move {
                        if let Ok(mut server) = TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    connections.lock().unwrap().push(task);
                }
            }
        });
        CutProxy {
            port,
            cut,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_ready_follows_readiness_through_a_database_cut() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
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
    let server = ServeProcess::start(&[
        ("IW_DATABASE_URL", url.as_str()),
        ("IW_METRICS_BIND", &metrics_bind),
        ("IW_WORKERS", "0"),
        ("IW_LOG_LEVEL", "warn"),
    ]);
    server.wait_ready().await;
    wait_for(&server, metrics_port, true).await;

    proxy.cut();
    let down = wait_for(&server, metrics_port, false).await;
    proxy.restore();
    let up = wait_for(&server, metrics_port, true).await;
    eprintln!(
        "database cut: /readyz 503 with db_ready 0 after {:.1} s; restored: 200 with db_ready 1 \
         after {:.1} s, no restart",
        down.as_secs_f64(),
        up.as_secs_f64()
    );

    drop(server);
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}
