//! Status back to the intake: a change in the inbox reaches the intake as a coarse,
//! signed, idempotent event; pull-only systems may post with their token; a push-style
//! signature is refused.

use std::time::Duration;

use chrono::Utc;
use internetwache::delivery::receipt;
use internetwache::inbox::status::{self, StatusError};
use internetwache::inbox::status_message::{self, StatusMessage};
use internetwache::inbox::triage::Status;
use internetwache::store::{reports, staff as store_staff, status_events, Db};

use crate::delivery_support::{file_report, register_form, spawn};
use crate::helpers::{Backend, TestApp};
use crate::inbox_support::*;
use crate::with_both_engines;

/// The intake, pushing nowhere (no workers), sharing [`INBOX_SECRET`] with the inbox.
async fn intake(
    backend: Backend,
    key: &internetwache::crypto::PolicePrivateKey,
) -> Option<TestApp> {
    let config = format!(
        "[police.be]\n[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
         [police.be.delivery]\nmode = \"push\"\nurl = \"http://127.0.0.1:9/none\"\n\
         secret = \"{INBOX_SECRET}\"\n",
        key.key_id,
        key.public_key().public_base64()
    );
    spawn(backend, Some(&config), &[("IW_WORKERS", "0")]).await
}

async fn post_status(app: &TestApp, body: &str, headers: &[(&str, String)]) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(app.url(status_message::PATH))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    req.send().await.unwrap()
}

async fn a_status_set_in_the_inbox_arrives_at_the_intake(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (generated, key) = private_key(&dir.path().join("keys"), "be");
    let Some(app) = intake(backend, &key).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    let filed = file_report(db, &generated, None, Utc::now()).await;
    let envelope = reports::envelope(db, filed.report_id)
        .await
        .unwrap()
        .unwrap();

    // The inbox has its own database; here a fresh SQLite file.
    let inbox_db = internetwache::store::Db::connect_lazy(
        &format!("sqlite://{}/inbox.db", dir.path().display())
            .parse()
            .unwrap(),
        2,
    )
    .unwrap();
    inbox_db.migrate().await.unwrap();
    let inbox = TestInbox::start_reporting_to(&inbox_db, vec![key], Some(app.address.clone()));
    let now = Utc::now().timestamp();
    receipt_of(
        push(
            &inbox.push_url(),
            INBOX_SECRET,
            &filed.case_number,
            &envelope,
            now,
        )
        .await,
    )
    .await;

    let receiver = inbox.receiver();
    let early = status::change(
        receiver,
        "anna",
        &filed.case_number,
        Status::Abgeschlossen,
        None,
        Utc::now(),
    )
    .await;
    assert!(
        matches!(early, Err(StatusError::NotAllowed { .. })),
        "{early:?}"
    );
    status::change(
        receiver,
        "anna",
        &filed.case_number,
        Status::InPruefung,
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    let no_office = status::change(
        receiver,
        "anna",
        &filed.case_number,
        Status::Abgegeben,
        None,
        Utc::now(),
    )
    .await;
    assert!(matches!(no_office, Err(StatusError::OfficeRequired)));
    status::change(
        receiver,
        "anna",
        &filed.case_number,
        Status::Abgegeben,
        Some("dir7"),
        Utc::now(),
    )
    .await
    .unwrap();

    let http = reqwest::Client::new();
    let sent = std::cell::Cell::new(0);
    // A minute, not five seconds: a loaded machine running the whole suite is slow, and
    // the wait ends as soon as both are sent.
    crate::delivery_support::wait_for("both status events sent", Duration::from_secs(60), || {
        let (inbox, http, sent) = (&inbox, &http, &sent);
        async move {
            let now = status::send_due(&inbox.inbox, http, "test-sender")
                .await
                .unwrap();
            sent.set(sent.get() + now);
            sent.get() >= 2
        }
    })
    .await;
    assert_eq!(sent.get(), 2);
    // This fixture's plaintext is no report document, so the item is "nicht lesbar" and
    // has no office in its index: status still flows, without an office until handed on.
    let events = status_events::for_case(db, &filed.case_number.parse().unwrap())
        .await
        .unwrap();
    let seen: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e.status.as_str(), e.office_id.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [("in_bearbeitung", None), ("abgegeben", Some("dir7"))]
    );

    // A clerk at the intake sees the history on the report page.
    crate::staff::add_user(&app, "be-clerk", "clerk", Some("be")).await;
    crate::staff::sign_in(&app, "be-clerk").await;
    let page = app
        .get(&format!("/polizei/berichte/{}", filed.case_number))
        .await
        .text()
        .await
        .unwrap();
    let history = page
        .split("id=\"status-history\"")
        .nth(1)
        .expect("the status history is shown");
    assert!(
        history.contains("in Bearbeitung") && history.contains("dir7"),
        "{history}"
    );

    // The same event again: acknowledged, stored once.
    let message = StatusMessage {
        event_id: events[0].event_id.clone(),
        case_number: filed.case_number.clone(),
        status: "in_bearbeitung".into(),
        office_id: None,
        at: Utc::now(),
    };
    let body = serde_json::to_string(&message).unwrap();
    let ts = Utc::now().timestamp();
    let signed = |sig: String| {
        vec![
            (receipt::HEADER_TIMESTAMP, ts.to_string()),
            (receipt::HEADER_SIGNATURE, sig),
        ]
    };
    let again = post_status(
        &app,
        &body,
        &signed(status_message::sign(
            INBOX_SECRET.as_bytes(),
            ts,
            body.as_bytes(),
        )),
    )
    .await;
    assert_eq!(again.status(), 200);
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["first"], false);
    assert_eq!(
        status_events::for_case(db, &filed.case_number.parse().unwrap())
            .await
            .unwrap()
            .len(),
        2
    );

    // A push signature (keyed with the secret itself) is not a status signature.
    let push_style = post_status(
        &app,
        &body,
        &signed(receipt::sign_request(
            INBOX_SECRET.as_bytes(),
            ts,
            body.as_bytes(),
        )),
    )
    .await;
    assert_eq!(push_style.status(), 401);
    assert_eq!(
        push_style.headers()["content-type"],
        "application/problem+json"
    );

    // A pull-only system posts with its token; another state's token sees nothing.
    let token = internetwache::crypto::generate_token().unwrap();
    store_staff::add_token(
        db,
        &internetwache::crypto::token_hash(&token),
        &internetwache::state_code::StateCode::parse("be").unwrap(),
        "leitstelle",
        Utc::now(),
    )
    .await
    .unwrap();
    let closed = StatusMessage {
        event_id: "pull-1".into(),
        status: "abgeschlossen".into(),
        ..message.clone()
    };
    let body = serde_json::to_string(&closed).unwrap();
    let with_token =
        post_status(&app, &body, &[("Authorization", format!("Bearer {token}"))]).await;
    assert_eq!(with_token.status(), 200);
    let bb_token = internetwache::crypto::generate_token().unwrap();
    store_staff::add_token(
        db,
        &internetwache::crypto::token_hash(&bb_token),
        &internetwache::state_code::StateCode::parse("bb").unwrap(),
        "bb",
        Utc::now(),
    )
    .await
    .unwrap();
    let other = StatusMessage {
        event_id: "pull-2".into(),
        ..closed
    };
    let foreign = post_status(
        &app,
        &serde_json::to_string(&other).unwrap(),
        &[("Authorization", format!("Bearer {bb_token}"))],
    )
    .await;
    assert_eq!(foreign.status(), 404);
    let history = status_events::for_case(db, &filed.case_number.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        history.last().map(|e| e.status.as_str()),
        Some("abgeschlossen")
    );
    assert_eq!(history.len(), 3);
}

/// The inbox's own database on `backend`, and what keeps a PostgreSQL one alive.
async fn inbox_database(
    backend: Backend,
    dir: &std::path::Path,
) -> (Db, Option<crate::helpers::PgTestDatabase>) {
    let (url, guard) = match backend {
        Backend::Sqlite => (format!("sqlite://{}/inbox.db", dir.display()), None),
        Backend::Postgres => {
            let admin = crate::helpers::postgres_admin_url().expect("PostgreSQL runs");
            let (url, guard) = crate::helpers::create_pg_database(&admin).await;
            (url, Some(guard))
        }
    };
    let db = Db::connect_lazy(&url.parse().unwrap(), 2).unwrap();
    db.migrate().await.unwrap();
    (db, guard)
}

/// Passes every connection on `listener` to `to` (`host:port`): the intake reachable again.
async fn forward(listener: tokio::net::TcpListener, to: String) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let to = to.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(&to).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

async fn job_errors(db: &Db) -> Vec<(String, i64, Option<String>)> {
    internetwache::with_db!(db, pool => sqlx::query_as(
        "SELECT status, attempts, last_error FROM jobs WHERE kind = 'inbox_status'",
    )
    .fetch_all(pool)
    .await
    .unwrap())
}

/// A status set while the intake is down waits as a job in the inbox's queue, and reaches
/// the intake once, after it is back.
async fn a_status_waits_in_the_queue_while_the_intake_is_down(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (generated, key) = private_key(&dir.path().join("keys"), "be");
    let Some(app) = intake(backend, &key).await else {
        return;
    };
    let db = &app.state.db;
    register_form(db).await;
    let filed = file_report(db, &generated, None, Utc::now()).await;
    let envelope = reports::envelope(db, filed.report_id)
        .await
        .unwrap()
        .unwrap();
    let (inbox_db, _guard) = inbox_database(backend, dir.path()).await;
    // Where the inbox expects the intake: a port nobody listens on for now.
    let port = crate::delivery_support::free_port();
    let inbox = TestInbox::start_reporting_to(
        &inbox_db,
        vec![key],
        Some(format!("http://127.0.0.1:{port}")),
    );
    let url = inbox.push_url();
    let pushed = push(
        &url,
        INBOX_SECRET,
        &filed.case_number,
        &envelope,
        Utc::now().timestamp(),
    );
    receipt_of(pushed.await).await;
    status::change(
        inbox.receiver(),
        "anna",
        &filed.case_number,
        Status::InPruefung,
        None,
        Utc::now(),
    )
    .await
    .unwrap();

    let http = reqwest::Client::new();
    let sent = status::send_due(&inbox.inbox, &http, "test-sender").await;
    assert_eq!(sent.unwrap(), 0, "the intake is down");
    let jobs = job_errors(&inbox_db).await;
    assert_eq!(jobs.len(), 1, "one job in the inbox's queue");
    let (state, attempts, error) = &jobs[0];
    assert_eq!((state.as_str(), *attempts), ("pending", 1));
    assert!(
        error.as_deref().unwrap_or("").contains("not reachable"),
        "{error:?}"
    );
    assert_eq!(
        internetwache::store::inbox::unsent_status_events(&inbox_db)
            .await
            .unwrap(),
        1
    );

    // The intake is back at that address; the running sender retries after its backoff.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let to = app.address.trim_start_matches("http://").to_owned();
    let proxy = tokio::spawn(forward(listener, to));
    let sender = tokio::spawn(status::run_sender(inbox.inbox.clone()));
    let case = filed.case_number.parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    // Done means: the intake stored it and the inbox recorded the acknowledgement.
    let (events, jobs) = loop {
        let events = status_events::for_case(db, &case).await.unwrap();
        let jobs = job_errors(&inbox_db).await;
        let done = !events.is_empty() && jobs[0].0 == "done";
        if done || std::time::Instant::now() > deadline {
            break (events, jobs);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    sender.abort();
    proxy.abort();
    let seen: Vec<&str> = events.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(seen, ["in_bearbeitung"], "arrived once");
    assert_eq!(jobs[0].0, "done");
    assert!(jobs[0].1 >= 2, "sent on a later attempt");
}

with_both_engines!(
    a_status_set_in_the_inbox_arrives_at_the_intake,
    a_status_waits_in_the_queue_while_the_intake_is_down
);
