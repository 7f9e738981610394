//! Status back to the intake: a change in the inbox reaches the intake as a coarse,
//! signed, idempotent event; pull-only systems may post with their token; a push-style
//! signature is refused.

use std::time::Duration;

use chrono::Utc;
use internetwache::delivery::receipt;
use internetwache::inbox::status::{self, StatusError};
use internetwache::inbox::status_message::{self, StatusMessage};
use internetwache::inbox::triage::Status;
use internetwache::store::{reports, staff as store_staff, status_events};

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
    let mut sent = 0;
    for _ in 0..50 {
        sent += status::send_due(&inbox.inbox, &http).await.unwrap();
        if sent >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 2);
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
with_both_engines!(a_status_set_in_the_inbox_arrives_at_the_intake);
