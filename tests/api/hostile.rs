//! Hostile input from outside (issue 11): bodies that never end, method strings that would
//! grow the metrics, numbers that overflow, framework errors, oversized uploads, HSTS.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::filing::{csrf_token, error_summary, start};
use crate::helpers::{spawn_app, spawn_app_with, Backend, ServeProcess, TestApp};
use crate::on_both_engines;
use crate::staff::{add_user, sign_in};

/// VmRSS of a process, in MiB.
fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line");
    kib / 1024
}

/// Sends a 9 MiB multipart body without its closing boundary, as the attacker did. Returns
/// when the server answered (first response byte; `None` if it closed without a word), and
/// when the connection was gone.
async fn unterminated_upload(
    port: u16,
    path: &str,
    cookies: &str,
    started: Instant,
) -> (Option<Duration>, Duration) {
    let mut body =
        b"--X\r\nContent-Disposition: form-data; name=\"x\"; filename=\"a\"\r\n\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'A', 9 << 20));
    body.extend_from_slice(b"\r\n");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\n{cookies}Content-Type: multipart/form-data; \
         boundary=X\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    // The server may answer and close before taking the whole body; that is fine.
    let writer = tokio::spawn(async move {
        let _ = write.write_all(head.as_bytes()).await;
        let _ = write.write_all(&body).await;
        write // kept open: the attacker never finishes
    });
    let mut buf = [0u8; 4096];
    let mut answered = None;
    loop {
        match read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                answered.get_or_insert_with(|| started.elapsed());
            }
        }
    }
    let closed = started.elapsed();
    writer.abort();
    (answered, closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unterminated_multipart_bodies_are_cut_at_the_deadline_and_memory_comes_back() {
    let mut server = ServeProcess::start(&[
        ("IW_BODY_DEADLINE_SECS", "2"),
        ("IW_SHUTDOWN_TIMEOUT_SECS", "30"),
        ("IW_RATE_LIMIT_PER_MINUTE", "0"),
        ("IW_WORKERS", "0"),
        ("IW_LOG_LEVEL", "warn"),
    ]);
    server.wait_ready().await;
    let pid = server.child.id();
    let baseline = rss_mib(pid);

    // Half carry cookies, so the server has to read the body; half go to a path no route
    // serves, which must be refused before the body is read.
    let started = Instant::now();
    let mut clients = Vec::new();
    for i in 0..100 {
        let (path, cookies) = if i % 2 == 0 {
            (
                "/be/betrug/schritt/gefahr",
                "Cookie: iw_csrf=0123456789abcdef0123456789abcdef; iw_draft=x\r\n",
            )
        } else {
            ("/zz/nope/schritt/nope", "")
        };
        let port = server.port;
        clients.push(tokio::spawn(async move {
            unterminated_upload(port, path, cookies, started).await
        }));
    }
    let mut peak = baseline;
    let mut slowest = Duration::ZERO;
    let mut last_closed = Duration::ZERO;
    for client in clients {
        let (answered, closed) = tokio::time::timeout(Duration::from_secs(60), client)
            .await
            .expect("every unterminated body is answered and closed")
            .unwrap();
        // Before the fix none was ever answered: the client hung until the 60 s guard.
        let answered = answered.expect("the server answers an unfinished body, then closes");
        slowest = slowest.max(answered);
        last_closed = last_closed.max(closed);
        peak = peak.max(rss_mib(pid));
    }

    // Memory is given back: wait for it with a deadline.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut after = rss_mib(pid);
    while after > baseline + 50 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = rss_mib(pid);
    }
    eprintln!(
        "100 unterminated multipart bodies: all answered within {:.1} s, closed within {:.1} s; \
         RSS baseline {baseline} MiB, peak {peak} MiB, after {after} MiB",
        slowest.as_secs_f64(),
        last_closed.as_secs_f64()
    );
    assert!(
        after <= baseline + 50,
        "RSS {after} MiB, baseline {baseline} MiB: memory was not given back"
    );

    let stopping = Instant::now();
    let status = server.terminate();
    let took = stopping.elapsed();
    eprintln!("SIGTERM after the flood: stopped in {took:?}");
    assert!(status.success(), "{}", server.logs());
    assert!(
        took < Duration::from_secs(5),
        "SIGTERM took {took:?}: requests were still hanging"
    );
}

#[tokio::test]
async fn metrics_labels_come_from_closed_sets_and_stay_off_the_public_port() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for i in 0..50 {
        let method = format!("X{i:03}{}", "Z".repeat(190));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = app
            .client
            .request(method, app.url("/some/thing"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error());
    }
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "not on the public port"
    );
    let metrics = app.metrics().await;
    assert!(!metrics.contains("ZZZZZ"), "a method string became a label");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    let before = metrics.len();
    for i in 50..100 {
        let method = format!("X{i:03}{}", "Z".repeat(190));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.client
            .request(method, app.url("/some/thing"))
            .send()
            .await
            .unwrap();
    }
    let after = app.metrics().await.len();
    eprintln!("/metrics after 50 and 100 random-method requests: {before} and {after} bytes");
    assert!(
        after < before + 2_000,
        "/metrics grew from {before} to {after} bytes"
    );
}

async fn page_numbers_are_bounded(mut app: TestApp) {
    app.client_reset();
    add_user(&app, "be-clerk", "clerk", Some("be")).await;
    sign_in(&app, "be-clerk").await;
    assert_eq!(app.get("/polizei/berichte?page=2").await.status(), 200);
    for page in ["9223372036854775807", "abc", "0", "-1"] {
        let res = app.get(&format!("/polizei/berichte?page={page}")).await;
        assert_eq!(res.status(), 400, "page={page}");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("Die Anfrage war ungültig"),
            "page={page}: {body}"
        );
        assert!(
            !body.contains("deserialize"),
            "framework text leaked: {body}"
        );
    }
}
on_both_engines!(page_numbers_are_bounded);

#[tokio::test]
async fn framework_errors_come_out_as_branded_pages_or_problem_json() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    // A path number that is no number: a 400 page, in the visitor's language.
    app.get("/sprache/en?next=/").await;
    let res = app
        .client
        .post(app.url("/verwaltung/warteschlange/abc/erneut"))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body = res.text().await.unwrap();
    assert!(body.contains("The request was not valid"), "{body}");
    assert!(!body.contains("can not parse"), "{body}");

    // A wrong content type on a form post.
    let res = app
        .client
        .post(app.url("/anmelden"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(!res.text().await.unwrap().contains("Content type error"));

    // Under /api: problem+json, never text/plain.
    let res = app
        .client
        .get(app.url("/api/v1/reports?limit=1&limit=2"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body = res.text().await.unwrap();
    assert!(!body.contains("duplicate field"), "{body}");
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(problem["status"].as_u64().is_some(), "{problem}");
}

async fn an_oversized_upload_is_shown_on_its_step_with_the_rest_kept(mut app: TestApp) {
    app.client_reset();
    start(&app, "be", "betrug").await;
    let step = "/be/betrug/schritt/beweise";
    let page = app.get(step).await;
    assert_eq!(page.status(), 200);
    let csrf = csrf_token(&page.text().await.unwrap());
    // The file first, so the fields after it must still be read.
    let file = reqwest::multipart::Part::bytes(vec![0u8; (3 << 20) / 2])
        .file_name("gross.png")
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .part("f-beweise", file)
        .text("f-beweise_sonstige", "Originalbrief vom Vermieter")
        .text("csrf_token", csrf)
        .text("action", "next");
    let res = app
        .client
        .post(app.url(step))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body = res.text().await.unwrap();
    let summary = error_summary(&body).expect("error summary on the step");
    assert!(
        summary.contains("zu groß") && summary.contains("1 MB"),
        "{summary}"
    );
    assert!(
        body.contains("Originalbrief vom Vermieter"),
        "typed text kept"
    );
    // And saved: the step shows it again.
    let again = app.get(step).await.text().await.unwrap();
    assert!(again.contains("Originalbrief vom Vermieter"));
}

mod oversized_upload {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        let app = spawn_app_with(Backend::Sqlite, &[("IW_MAX_UPLOAD_MB", "1")])
            .await
            .unwrap();
        an_oversized_upload_is_shown_on_its_step_with_the_rest_kept(app).await;
    }

    #[tokio::test]
    async fn postgres() {
        if let Some(app) = spawn_app_with(Backend::Postgres, &[("IW_MAX_UPLOAD_MB", "1")]).await {
            an_oversized_upload_is_shown_on_its_step_with_the_rest_kept(app).await;
        }
    }
}

#[tokio::test]
async fn hsts_only_when_the_public_url_is_https() {
    let plain = spawn_app(Backend::Sqlite).await.unwrap();
    let res = plain.get("/").await;
    assert!(res.headers().get("strict-transport-security").is_none());

    let https = spawn_app_with(
        Backend::Sqlite,
        &[("IW_PUBLIC_URL", "https://internetwache.example")],
    )
    .await
    .unwrap();
    for path in ["/", "/does-not-exist"] {
        let res = https.get(path).await;
        let hsts = res.headers()["strict-transport-security"].to_str().unwrap();
        assert!(hsts.contains("max-age=31536000"), "{path}: {hsts}");
    }
}

/// Posts one sign-in; true when it signed in.
async fn try_sign_in(app: &TestApp, csrf: &str, user: &str, password: &str) -> bool {
    let res = app
        .client
        .post(app.url("/anmelden"))
        .form(&[
            ("csrf_token", csrf),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    res.status() == 303
}

async fn failed_sign_ins_slow_a_user_down_but_never_lock_the_owner_out(mut app: TestApp) {
    app.client_reset();
    add_user(&app, "be-clerk", "clerk", Some("be")).await;
    let page = app.get("/anmelden").await.text().await.unwrap();
    let csrf = csrf_token(&page);
    for _ in 0..5 {
        assert!(!try_sign_in(&app, &csrf, "be-clerk", "wrong").await);
    }
    // Right now the name waits ...
    assert!(!try_sign_in(&app, &csrf, "be-clerk", crate::staff::PASSWORD).await);
    // ... but only seconds, not the 15 minutes of the old lockout.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(15);
    loop {
        if try_sign_in(&app, &csrf, "be-clerk", crate::staff::PASSWORD).await {
            break;
        }
        assert!(Instant::now() < deadline, "the owner is still locked out");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!(
        "after 5 failed sign-ins the owner got in after {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
on_both_engines!(failed_sign_ins_slow_a_user_down_but_never_lock_the_owner_out);

/// Fetches a rate-limited URL claiming to be `client`; returns the status.
async fn as_client(app: &TestApp, client: &str) -> u16 {
    app.client
        .get(app.url("/api/v1/openapi.json"))
        .header("x-forwarded-for", client)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_client_address_comes_from_trusted_proxies_only() {
    let behind_proxy = spawn_app_with(
        Backend::Sqlite,
        &[
            ("IW_RATE_LIMIT_PER_MINUTE", "3"),
            ("IW_TRUSTED_PROXIES", "127.0.0.0/8"),
        ],
    )
    .await
    .unwrap();
    for _ in 0..3 {
        assert_eq!(as_client(&behind_proxy, "203.0.113.1").await, 200);
    }
    assert_eq!(as_client(&behind_proxy, "203.0.113.1").await, 429);
    // Another client behind the same proxy has its own allowance.
    assert_eq!(as_client(&behind_proxy, "203.0.113.2").await, 200);

    // Without trusted proxies the header is the client's own claim, and is ignored.
    let direct = spawn_app_with(Backend::Sqlite, &[("IW_RATE_LIMIT_PER_MINUTE", "3")])
        .await
        .unwrap();
    for i in 0..3 {
        assert_eq!(as_client(&direct, &format!("198.51.100.{i}")).await, 200);
    }
    assert_eq!(as_client(&direct, "198.51.100.99").await, 429);
}
