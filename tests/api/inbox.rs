//! Receiver conformance on both engines: the inbox's push endpoint follows the delivery
//! protocol, stores each case once, opens with the key its key id names, and keeps what it
//! cannot open as a visible "nicht lesbar" item.

use chrono::Utc;
use internetwache::crypto::audit_chain::AuditKey;
use internetwache::delivery::receipt;
use internetwache::inbox::keyring::Keyring;
use internetwache::inbox::reading::{self, ReadError};
use internetwache::inbox::receiver::Receiver;
use internetwache::inbox::triage_actions;
use internetwache::reports::case_number::CaseNumber;
use internetwache::store::{audit, inbox as store};
use std::sync::Arc;

use crate::helpers::TestApp;
use crate::inbox_support::*;
use crate::on_both_engines;

async fn a_push_is_stored_once_and_repeats_get_the_same_receipt(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let doc = report(&case);
    let body = seal(&doc, &key, Utc::now());
    let now = Utc::now().timestamp();

    let first =
        receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;
    assert!(receipt::verify(
        INBOX_SECRET.as_bytes(),
        case.as_str(),
        body.as_bytes(),
        &first
    ));
    let again =
        receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;
    assert_eq!(again, first);

    let row = store::get(db, case.as_str())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(row.envelope_sha256, receipt::sha256_hex(body.as_bytes()));
    assert_eq!(row.status, "eingegangen");
    assert_eq!(row.unreadable_reason, None);
    assert_eq!(row.triage.scene_postal_code.as_deref(), Some("10178"));
    assert_eq!(row.triage.scene_place.as_deref(), Some("Berlin"));
    assert_eq!(row.triage.offence_time.as_deref(), Some("2026-11-20 08:15"));
    assert_eq!(row.triage.damage_eur_cents, Some(89900));
    assert_eq!(row.triage.category.as_deref(), Some("fahrraddiebstahl"));
    assert_eq!(row.triage.office_id.as_deref(), Some("dir3"));
    assert_eq!(store::list(db, 0, 10).await.unwrap().len(), 1);
    assert_eq!(
        store::envelope(db, case.as_str()).await.unwrap().as_deref(),
        Some(body.as_str()),
        "the envelope is kept byte for byte"
    );

    // Other bytes under the same case number: refused, the first envelope stays.
    let other = seal(&doc, &key, Utc::now());
    let conflict = push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &other, now).await;
    assert_eq!(conflict.status(), 409);
    assert_eq!(
        conflict.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        store::envelope(db, case.as_str()).await.unwrap().as_deref(),
        Some(body.as_str())
    );

    // The clerk opens it: every value and the attachment's hash are there.
    let opened = reading::view(inbox.receiver(), "anna", case.as_str())
        .await
        .unwrap();
    assert_eq!(opened.document, doc);

    let rows = audit::all(db).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["inbox_receive", "inbox_receive_conflict", "inbox_view"]
    );
    assert_eq!(rows[2].actor, "anna");
    assert_eq!(audit::verify_chain(&AuditKey::new(AUDIT_KEY), &rows), Ok(3));
}
on_both_engines!(a_push_is_stored_once_and_repeats_get_the_same_receipt);

async fn bad_signatures_stale_timestamps_and_malformed_bodies_are_refused(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let body = seal(&report(&case), &key, Utc::now());
    let now = Utc::now().timestamp();
    let url = inbox.push_url();

    assert_eq!(
        push(&url, "wrong-secret", case.as_str(), &body, now)
            .await
            .status(),
        401
    );
    assert_eq!(
        push(&url, INBOX_SECRET, case.as_str(), &body, now - 301)
            .await
            .status(),
        401
    );
    // A state this inbox does not serve.
    let bb = CaseNumber::generate("bb").unwrap();
    assert_eq!(
        push(&url, INBOX_SECRET, bb.as_str(), &body, now)
            .await
            .status(),
        401
    );
    // The Idempotency-Key must be the envelope's case number.
    let other = CaseNumber::generate("be").unwrap();
    assert_eq!(
        push(&url, INBOX_SECRET, other.as_str(), &body, now)
            .await
            .status(),
        400
    );
    assert_eq!(
        push(&url, INBOX_SECRET, case.as_str(), "{}", now)
            .await
            .status(),
        400
    );
    assert!(store::list(db, 0, 10).await.unwrap().is_empty());
}
on_both_engines!(bad_signatures_stale_timestamps_and_malformed_bodies_are_refused);

async fn an_envelope_for_a_missing_key_is_kept_as_nicht_lesbar(app: TestApp) {
    let db = &app.state.db;
    let dir = app.dir.path().join("keys");
    let (_, held) = private_key(&dir.join("held"), "be");
    let (_, lost) = private_key(&dir.join("lost"), "be");
    let inbox = TestInbox::start(db, vec![held]);
    let case = CaseNumber::generate("be").unwrap();
    let body = seal(&report(&case), &lost, Utc::now());
    let now = Utc::now().timestamp();

    // The bytes arrived, so the sender gets its receipt; the item is visible, not dropped.
    let r =
        receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;
    assert!(receipt::verify(
        INBOX_SECRET.as_bytes(),
        case.as_str(),
        body.as_bytes(),
        &r
    ));
    let row = store::get(db, case.as_str()).await.unwrap().expect("kept");
    let reason = row.unreadable_reason.expect("nicht lesbar");
    assert!(
        reason.contains("kein Schlüssel") && reason.contains(&lost.key_id),
        "{reason}"
    );
    assert_eq!(row.triage.scene_postal_code, None);
    let err = reading::view(inbox.receiver(), "anna", case.as_str())
        .await
        .unwrap_err();
    assert!(matches!(err, ReadError::Unreadable(_)), "{err}");
}
on_both_engines!(an_envelope_for_a_missing_key_is_kept_as_nicht_lesbar);

/// The intake seals to the newest key while reports sealed to the older one are still on
/// their way; the inbox keeps both and opens each with the one its key id names.
async fn reports_in_flight_across_a_key_rotation_all_open(app: TestApp) {
    let db = &app.state.db;
    let dir = app.dir.path().join("keys");
    let (_, old) = private_key(&dir.join("old"), "be");
    let (_, new) = private_key(&dir.join("new"), "be");
    let mut in_flight = Vec::new();
    for key in [&old, &old, &new, &new] {
        let case = CaseNumber::generate("be").unwrap();
        let doc = report(&case);
        in_flight.push((case, seal(&doc, key, Utc::now()), doc));
    }
    let inbox = TestInbox::start(db, vec![old, new]);
    let now = Utc::now().timestamp();
    for (case, body, _) in &in_flight {
        receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), body, now).await).await;
    }
    for (case, _, doc) in &in_flight {
        let row = store::get(db, case.as_str()).await.unwrap().unwrap();
        assert_eq!(row.unreadable_reason, None);
        let opened = reading::view(inbox.receiver(), "anna", case.as_str())
            .await
            .unwrap();
        assert_eq!(&opened.document, doc);
    }
}
on_both_engines!(reports_in_flight_across_a_key_rotation_all_open);

/// A copy of the inbox database without the key files shows the triage index only.
async fn the_database_without_the_keys_shows_only_the_index(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let body = seal(&report(&case), &key, Utc::now());
    let now = Utc::now().timestamp();
    receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;

    let thief = Receiver::new(
        db.clone(),
        Arc::new(Keyring::default()),
        Arc::new(AuditKey::new(b"any")),
    );
    let row = store::get(db, case.as_str()).await.unwrap().unwrap();
    assert_eq!(row.triage.scene_place.as_deref(), Some("Berlin"));
    let stored = store::envelope(db, case.as_str()).await.unwrap().unwrap();
    assert!(!stored.contains("Berlin") && !stored.contains("YWJj"));
    assert!(matches!(
        reading::view(&thief, "thief", case.as_str()).await,
        Err(ReadError::Unreadable(_))
    ));
}
on_both_engines!(the_database_without_the_keys_shows_only_the_index);

/// Assign, re-route, note, attachment download and print are each audited under the
/// clerk's name; the note's text stays out of the audit log.
async fn triage_actions_are_audited(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let case = CaseNumber::generate("be").unwrap();
    let body = seal(&report(&case), &key, Utc::now());
    let now = Utc::now().timestamp();
    receipt_of(push(&inbox.push_url(), INBOX_SECRET, case.as_str(), &body, now).await).await;
    let r = inbox.receiver();
    let c = case.as_str();

    triage_actions::assign(r, "lead", c, Some("anna"))
        .await
        .unwrap();
    triage_actions::reroute(r, "anna", c, "dir5").await.unwrap();
    triage_actions::add_note(r, "anna", c, "Halter anrufen")
        .await
        .unwrap();
    let (meta, bytes) = triage_actions::attachment(r, "anna", c, 0).await.unwrap();
    assert_eq!(
        (meta.filename.as_str(), bytes.as_slice()),
        ("rad.txt", &b"abc"[..])
    );
    assert!(triage_actions::print(r, "anna", c)
        .await
        .unwrap()
        .document
        .to_text()
        .contains("Berlin"));

    let row = store::get(db, c).await.unwrap().unwrap();
    assert_eq!(row.assigned_to.as_deref(), Some("anna"));
    assert_eq!(row.status_office_id.as_deref(), Some("dir5"));
    assert_eq!(
        store::notes(db, row.id).await.unwrap()[0].body,
        "Halter anrufen"
    );
    let rows = audit::all(db).await.unwrap();
    let actions: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.actor.as_str(), r.action.as_str()))
        .collect();
    for expected in [
        ("lead", "inbox_assign"),
        ("anna", "inbox_reroute"),
        ("anna", "inbox_note"),
        ("anna", "inbox_attachment_download"),
        ("anna", "inbox_print"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
    assert!(rows
        .iter()
        .all(|r| !r.object.as_deref().unwrap_or("").contains("Halter")));
    assert_eq!(
        audit::verify_chain(&AuditKey::new(AUDIT_KEY), &rows),
        Ok(rows.len())
    );
}
on_both_engines!(triage_actions_are_audited);

/// Concurrent arrivals share transactions: each case is stored once with one audit entry,
/// repeats that arrive together get the same receipt, a conflicting envelope among them is
/// refused, and the audit chain stays one unbroken chain.
async fn concurrent_pushes_are_stored_once_each_in_one_chain(app: TestApp) {
    let db = &app.state.db;
    let (_, key) = private_key(&app.dir.path().join("keys"), "be");
    let inbox = TestInbox::start(db, vec![key.clone()]);
    let url = inbox.push_url();
    let now = Utc::now().timestamp();
    let cases: Vec<(CaseNumber, String)> = (0..24)
        .map(|_| {
            let case = CaseNumber::generate("be").unwrap();
            let body = seal(&report(&case), &key, Utc::now());
            (case, body)
        })
        .collect();
    // Every case twice at once, and other bytes for the first case among them.
    let conflicting = seal(&report(&cases[0].0), &key, Utc::now());
    let mut pushes = Vec::new();
    for (case, body) in cases.iter().chain(cases.iter()) {
        pushes.push(push(&url, INBOX_SECRET, case.as_str(), body, now));
    }
    let answers = futures_util::future::join_all(pushes).await;
    let conflict = push(&url, INBOX_SECRET, cases[0].0.as_str(), &conflicting, now).await;
    assert_eq!(conflict.status(), 409);
    for (i, answer) in answers.into_iter().enumerate() {
        let (case, body) = &cases[i % cases.len()];
        let receipt = receipt_of(answer).await;
        assert!(receipt::verify(
            INBOX_SECRET.as_bytes(),
            case.as_str(),
            body.as_bytes(),
            &receipt
        ));
    }
    for (case, body) in &cases {
        assert_eq!(
            store::envelope(db, case.as_str()).await.unwrap().as_deref(),
            Some(body.as_str())
        );
    }
    assert_eq!(store::list(db, 0, 100).await.unwrap().len(), cases.len());
    let rows = audit::all(db).await.unwrap();
    let receives = rows.iter().filter(|r| r.action == "inbox_receive").count();
    let conflicts = rows
        .iter()
        .filter(|r| r.action == "inbox_receive_conflict")
        .count();
    assert_eq!((receives, conflicts), (cases.len(), 1));
    assert_eq!(
        audit::verify_chain(&AuditKey::new(AUDIT_KEY), &rows),
        Ok(rows.len())
    );
}
on_both_engines!(concurrent_pushes_are_stored_once_each_in_one_chain);
