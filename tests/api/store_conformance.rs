//! The storage conformance suite: every behaviour of the store, on both engines.

use chrono::Utc;
use internetwache::reports::case_number::CaseNumber;
use internetwache::state_code::StateCode;
use internetwache::store::forms::{self, NewFormVersion, Origin, Registration};
use internetwache::store::reports::{self, NewReport, SealedConfirmation, SubmitOutcome};

use crate::helpers::TestApp;
use crate::on_both_engines;

fn version<'a>(form_id: &'a str, version: i64, hash: &'a str) -> NewFormVersion<'a> {
    NewFormVersion {
        state: "be",
        form_id,
        version,
        content_hash: hash,
        category: "betrug",
        definition: "{}",
        origin: Origin::File,
        created_by: None,
    }
}

async fn migrations_are_applied(app: TestApp) {
    let db = &app.state.db;
    assert!(db.ping(std::time::Duration::from_secs(2)).await);
    // Running them again is a no-op.
    db.migrate().await.expect("migrations are idempotent");
}
on_both_engines!(migrations_are_applied);

async fn form_versions_register_once_and_refuse_changed_content(app: TestApp) {
    let db = &app.state.db;
    let now = Utc::now();
    assert_eq!(
        forms::register(db, &version("test-form", 1, "aaa"), now, None)
            .await
            .unwrap(),
        Registration::Registered
    );
    assert_eq!(
        forms::register(db, &version("test-form", 1, "aaa"), now, None)
            .await
            .unwrap(),
        Registration::Unchanged
    );
    assert_eq!(
        forms::register(db, &version("test-form", 1, "bbb"), now, None)
            .await
            .unwrap(),
        Registration::Conflict {
            stored_hash: "aaa".into()
        }
    );
    let row = forms::get(db, "be", "test-form", 1).await.unwrap().unwrap();
    assert_eq!(row.content_hash, "aaa");
    assert_eq!(row.origin, "file");
}
on_both_engines!(form_versions_register_once_and_refuse_changed_content);

async fn live_version_is_the_newest_unretired(app: TestApp) {
    let db = &app.state.db;
    let now = Utc::now();
    forms::register(db, &version("test-live", 1, "h1"), now, None)
        .await
        .unwrap();
    forms::register(db, &version("test-live", 2, "h2"), now, None)
        .await
        .unwrap();
    let live: Vec<_> = forms::live(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.form_id == "test-live")
        .collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].version, 2);
    assert_eq!(
        forms::max_version(db, "be", "test-live").await.unwrap(),
        Some(2)
    );

    let key = internetwache::crypto::audit_chain::AuditKey::new(b"test");
    let audited = internetwache::store::audit::Audited {
        key: &key,
        entry: internetwache::store::audit::NewAuditEntry {
            actor: "test",
            action: "variant_retire",
            state: Some("be"),
            object: Some("test-live"),
        },
        now,
    };
    assert!(forms::retire(db, "be", "test-live", now, &audited)
        .await
        .unwrap());
    assert!(forms::live(db)
        .await
        .unwrap()
        .iter()
        .all(|r| r.form_id != "test-live"));
    // Retired versions stay readable for drafts and reports pinned to them.
    assert!(forms::get(db, "be", "test-live", 1)
        .await
        .unwrap()
        .is_some());
    let all = forms::all_for_state(db, "be").await.unwrap();
    assert_eq!(all.iter().filter(|r| r.form_id == "test-live").count(), 2);
}
on_both_engines!(live_version_is_the_newest_unretired);

fn report<'a>(
    case_number: &'a CaseNumber,
    submission_key: &'a str,
    state: &'a StateCode,
) -> NewReport<'a> {
    NewReport {
        case_number,
        submission_key,
        state,
        category: "betrug",
        form_id: "test-form",
        form_version: 1,
        content_hash: "aaa",
        office_id: Some("dir-1"),
        key_id: "be-test",
        envelope: "{\"version\":1}",
        envelope_sha256: "00",
        submitted_at: Utc::now(),
        confirmation: Some(SealedConfirmation {
            sealed_address: b"sealed",
            language: "de",
        }),
        max_attempts: 5,
        status_code_hash: "00",
        draft_payload: None,
    }
}

fn case_number() -> CaseNumber {
    CaseNumber::generate("be").expect("random case number")
}

async fn submit_is_atomic_and_idempotent(app: TestApp) {
    let db = &app.state.db;
    let be = StateCode::parse("be").unwrap();
    let (first_case, second_case) = (case_number(), case_number());
    forms::register(db, &version("test-form", 1, "aaa"), Utc::now(), None)
        .await
        .unwrap();
    let first = reports::submit(db, &report(&first_case, "draft-1", &be), None)
        .await
        .unwrap();
    let SubmitOutcome::Created { report_id } = first else {
        panic!("expected a new report, got {first:?}");
    };
    // The same submission again yields the first case number, not a second report.
    let again = reports::submit(db, &report(&second_case, "draft-1", &be), None)
        .await
        .unwrap();
    assert_eq!(
        again,
        SubmitOutcome::AlreadySubmitted {
            case_number: first_case.clone()
        }
    );
    // A colliding case number from another submission is reported, not merged.
    let clash = reports::submit(db, &report(&first_case, "draft-2", &be), None)
        .await
        .unwrap();
    assert_eq!(clash, SubmitOutcome::CaseNumberTaken);

    let row = reports::get_by_case_number(db, &first_case)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.id, report_id);
    assert_eq!(row.status, "pending");
    assert!(reports::get_by_case_number(db, &second_case)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        reports::envelope(db, report_id).await.unwrap().as_deref(),
        Some("{\"version\":1}")
    );
    assert!(reports::mark_delivered(db, report_id, Utc::now())
        .await
        .unwrap());
    assert!(!reports::mark_delivered(db, report_id, Utc::now())
        .await
        .unwrap());
}
on_both_engines!(submit_is_atomic_and_idempotent);

async fn a_report_needs_a_registered_form_version(app: TestApp) {
    let db = &app.state.db;
    let (be, unregistered) = (StateCode::parse("be").unwrap(), case_number());
    let err = reports::submit(db, &report(&unregistered, "draft-3", &be), None).await;
    assert!(
        err.is_err(),
        "the foreign key to form_versions must hold on both engines"
    );
    assert!(reports::get_by_case_number(db, &unregistered)
        .await
        .unwrap()
        .is_none());
}
on_both_engines!(a_report_needs_a_registered_form_version);
