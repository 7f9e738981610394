//! The service as a process: nothing a citizen enters reaches the logs, and SIGTERM lets
//! requests in flight finish.

use std::time::Duration;

use futures_util::StreamExt;

use crate::filing::{file_report, Filler};
use crate::helpers::{spawn_app, Backend, ServeProcess};

#[tokio::test]
async fn filing_a_report_logs_no_personal_data() {
    let mut server = ServeProcess::start(&[("IW_LOG_LEVEL", "debug"), ("IW_LOG_FORMAT", "json")]);
    server.wait_ready().await;
    // The in-process app only lends its form catalog to the filing helper; the requests go
    // to the separate process whose log we read.
    let mut app = spawn_app(Backend::Sqlite).await.unwrap();
    app.address = server.address();

    let mut sent = Vec::new();
    for (state, form, plz) in [
        ("be", "betrug", "10115"),
        ("mv", "fahrraddiebstahl", "18055"),
    ] {
        let mut filler = Filler::new(plz, "Privat");
        let filed = file_report(&app, state, form, &mut filler).await;
        sent.extend(filler.sent_text);
        sent.push(filed.case_number);
        app.client_reset();
    }
    let mut server = server;
    assert!(server.terminate().success());
    let logs = server.logs();
    assert!(
        logs.contains("report stored and queued"),
        "the log shows the submission happened"
    );
    for value in &sent {
        assert!(
            !logs.contains(value.as_str()),
            "{value} appears in the logs"
        );
    }
    println!(
        "{} log bytes, none of {} entered values or case numbers",
        logs.len(),
        sent.len()
    );
}

#[tokio::test]
async fn sigterm_lets_an_upload_in_flight_finish() {
    let mut server = ServeProcess::start(&[]);
    server.wait_ready().await;
    let mut app = spawn_app(Backend::Sqlite).await.unwrap();
    app.address = server.address();
    let first = crate::filing::start(&app, "be", "betrug").await;
    let html = app.get(&first).await.text().await.unwrap();
    let csrf = crate::filing::csrf_token(&html);

    // A slow client: the body arrives in pieces over a second, and SIGTERM comes in between.
    let body = format!("csrf_token={csrf}&action=back&padding={}", "x".repeat(2000));
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
        .as_bytes()
        .chunks(200)
        .map(|c| Ok(c.to_vec()))
        .collect();
    // The client already holds a connection the server accepted (the GETs above); once it
    // has handed over three chunks on it, the request is in flight and SIGTERM may come.
    let (started, mut in_flight) = tokio::sync::watch::channel(0usize);
    let started = std::sync::Arc::new(started);
    let stream = futures_util::stream::iter(chunks).then(move |c| {
        let started = started.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            started.send_modify(|sent| *sent += 1);
            c
        }
    });
    let request = app
        .client
        .post(app.url(&first))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let pid = server.child.id();
    let terminate = async {
        tokio::time::timeout(
            Duration::from_secs(10),
            in_flight.wait_for(|sent| *sent >= 3),
        )
        .await
        .expect("the client did not start sending the body within 10 s")
        .expect("the body stream is alive");
        std::process::Command::new("kill")
            .arg(pid.to_string())
            .status()
            .unwrap();
    };
    let (response, ()) = tokio::join!(request, terminate);
    let response = response.expect("the request in flight is answered");
    assert_eq!(
        response.status(),
        303,
        "the in-flight POST completed normally"
    );
    let status = server.child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    assert!(server.logs().contains("stopped"));
}
