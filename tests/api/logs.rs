//! Nothing a citizen enters reaches the logs, even at debug level.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::filing::{file_report, Filler};
use crate::helpers::{spawn_app, Backend};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn filing_a_report_logs_no_personal_data() {
    // The in-process app only lends its form catalog to the filing helper; the requests go
    // to a separate `internetwache serve` process whose stderr we read.
    let mut app = spawn_app(Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let log_path = dir.path().join("stderr.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_internetwache"))
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
        .env("IW_LOG_LEVEL", "debug")
        .env("IW_LOG_FORMAT", "json")
        .stderr(Stdio::from(log_file))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    app.address = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(res) = app.client.get(app.url("/readyz")).send().await {
            if res.status() == 200 {
                ready = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the service became ready");

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
    // Let the log lines of the last requests be written, then stop the process.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    let mut logs = String::new();
    std::fs::File::open(&log_path)
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();

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
