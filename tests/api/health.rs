use crate::helpers::{spawn_app, spawn_app_with, Backend, TestApp};
use crate::on_both_engines;

const SECURITY_HEADERS: [&str; 4] = [
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
];

fn assert_security_headers(res: &reqwest::Response) {
    for name in SECURITY_HEADERS {
        assert!(
            res.headers().contains_key(name),
            "{} lacks {name}",
            res.url()
        );
    }
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

async fn service_answers(app: TestApp) {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200, "database should be ready");

    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_security_headers(&res);
    let body = res.text().await.unwrap();
    assert!(body.contains("<html lang=\"de\""));
    assert!(
        body.contains("110"),
        "landing page shows the emergency number"
    );
}
on_both_engines!(service_answers);

#[tokio::test]
async fn security_headers_on_every_kind_of_response() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for (path, status) in [
        ("/", 200),
        ("/healthz", 200),
        ("/metrics", 200),
        ("/does-not-exist", 404),
        ("/static/app.css", 200),
        ("/sprache/en?next=/", 303),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), status, "{path}");
        assert_security_headers(&res);
    }
    let res = app
        .client
        .post(app.url("/healthz"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert_security_headers(&res);
}

#[tokio::test]
async fn static_assets_are_cached_for_a_year() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let res = app.get("/static/app.css").await;
    assert_eq!(res.status(), 200);
    let cache = res.headers()["cache-control"].to_str().unwrap();
    assert!(cache.contains("max-age=31536000"), "{cache}");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let landing = app.get("/").await.text().await.unwrap();
    assert!(
        landing.contains("/static/app.css?v="),
        "stylesheet URL carries its version"
    );
}

#[tokio::test]
async fn language_switch_is_remembered() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let res = app.get("/sprache/en?next=/").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let body = app.get("/").await.text().await.unwrap();
    assert!(
        body.contains("<html lang=\"en\""),
        "English after switching"
    );
    assert!(body.contains("Report an offence online"));
    app.get("/sprache/de?next=/").await;
    let body = app.get("/").await.text().await.unwrap();
    assert!(body.contains("<html lang=\"de\""));
}

#[tokio::test]
async fn language_switch_is_no_open_redirect() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let res = app.get("/sprache/en?next=//evil.example/").await;
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.get("/healthz").await;
    let body = app.get("/metrics").await.text().await.unwrap();
    assert!(body.contains("http_requests_total"), "{body}");
    assert!(body.contains("route=\"/healthz\""));
    assert!(body.contains("http_request_duration_seconds"));
    assert!(body.contains("db_pool_connections"));
}

#[tokio::test]
async fn unreachable_postgres_still_renders_pages_but_is_not_ready() {
    // Port 1 on loopback: nothing listens there.
    let app = spawn_app_with(
        Backend::Sqlite,
        &[(
            "IW_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/iw_nowhere",
        )],
    )
    .await
    .unwrap();
    // The landing page and the pages every footer links need no database.
    for path in [
        "/",
        "/leichte-sprache",
        "/gebaerdensprache",
        "/barrierefreiheit",
        "/datenschutz",
    ] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 503);
}

#[tokio::test]
async fn serve_creates_a_missing_postgres_database() {
    let Some(admin) = crate::helpers::postgres_admin_url() else {
        return;
    };
    let name = format!("iw_test_missing_{}", uuid::Uuid::new_v4().simple());
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let app = spawn_app_with(Backend::Sqlite, &[("IW_DATABASE_URL", url.as_str())])
        .await
        .unwrap();
    assert_eq!(
        app.get("/readyz").await.status(),
        200,
        "created, migrated, ready"
    );
    app.state.db.close().await;
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(exists);
    sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn error_pages_speak_the_visitors_language() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let res = app.get("/zz").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Seite nicht gefunden"));
    app.get("/sprache/en?next=/").await;
    // An unknown state code is a page error raised inside a handler.
    let res = app.get("/zz").await;
    assert_eq!(res.status(), 404);
    let body = res.text().await.unwrap();
    assert!(body.contains("Page not found"), "{body}");
    assert!(body.contains("<html lang=\"en\""));
}

#[tokio::test]
async fn writes_and_api_calls_are_rate_limited_per_address() {
    let app = spawn_app_with(Backend::Sqlite, &[("IW_RATE_LIMIT_PER_MINUTE", "3")])
        .await
        .unwrap();
    let html = app.get("/melden/bundesland").await.text().await.unwrap();
    let csrf = crate::filing::csrf_token(&html);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = app
            .client
            .post(app.url("/melden/bundesland"))
            .form(&[("csrf_token", csrf.as_str()), ("postal_code", "10115")])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            assert_security_headers(&res);
            assert!(res.text().await.unwrap().contains("Zu viele Anfragen"));
        }
    }
    assert_eq!(statuses, [303, 303, 303, 429, 429]);
    // Reading pages is not limited.
    assert_eq!(app.get("/").await.status(), 200);
    let api = app.get("/api/v1/reports").await;
    assert_eq!(api.status(), 429);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
}
