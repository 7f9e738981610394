//! Pull mode: the inbox fetches pending reports from the intake's pull API, stores them
//! through the same receiver, and acknowledges each only after storing.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use internetwache::crypto::audit_chain::AuditKey;
use internetwache::inbox::context::Inbox;
use internetwache::inbox::keyring::Keyring;
use internetwache::inbox::receiver::Receiver;
use internetwache::inbox::settings::StateSettings;
use internetwache::inbox::{pull, reading};
use internetwache::store::{inbox as store, reports, staff as store_staff, Db};

use crate::delivery_support::{delivered_count, spawn};
use crate::filing::{file_report, postal_code_for, Filler};
use crate::helpers::Backend;
use crate::inbox_support::{assert_holds_what_was_entered, private_key};
use crate::with_both_engines;

const RECEIPT_SECRET: &str = "pull-receipt-secret-for-tests";

async fn reports_are_pulled_stored_once_and_acknowledged(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (generated, key) = private_key(&dir.path().join("keys"), "be");
    let config = format!(
        "[police.be]\n[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n\
         [police.be.delivery]\nmode = \"pull\"\nreceipt_secret = \"{RECEIPT_SECRET}\"\n",
        generated.public.key_id,
        generated.public.public_base64()
    );
    let Some(app) = spawn(backend, Some(&config), &[("IW_WORKERS", "1")]).await else {
        return;
    };
    let mut filler = Filler::new(&postal_code_for(&app, "be"), "Pul");
    let bike = file_report(&app, "be", "fahrraddiebstahl", &mut filler).await;
    let mut other = Filler::new(&postal_code_for(&app, "be"), "Pum");
    let tip = file_report(&app, "be", "hinweis", &mut other).await;
    let token = internetwache::crypto::generate_token().unwrap();
    let hash = internetwache::crypto::token_hash(&token);
    store_staff::add_token(
        &app.state.db,
        &hash,
        &internetwache::state_code::StateCode::parse("be").unwrap(),
        "inbox",
        Utc::now(),
    )
    .await
    .unwrap();

    let inbox_db = Db::connect_lazy(
        &format!("sqlite://{}/inbox.db", dir.path().display())
            .parse()
            .unwrap(),
        2,
    )
    .unwrap();
    inbox_db.migrate().await.unwrap();
    let mut states = BTreeMap::new();
    states.insert(
        "be".to_string(),
        StateSettings::Pull {
            intake_url: app.address.clone(),
            token,
            receipt_secret: RECEIPT_SECRET.into(),
        },
    );
    let inbox = Inbox {
        receiver: Receiver::new(
            inbox_db.clone(),
            Arc::new(Keyring::from_keys([key])),
            Arc::new(AuditKey::new(b"audit")),
        ),
        states,
        intake_url: None,
        web: crate::inbox_support::test_clerk_web(),
    };

    assert_eq!(pull::pull_once(&inbox).await.unwrap(), 2);
    assert_eq!(delivered_count(&app.state.db).await, 2);
    // Nothing is pending any more: a second round fetches nothing and stores nothing.
    assert_eq!(pull::pull_once(&inbox).await.unwrap(), 0);
    let rows = store::list(&inbox_db, 0, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.received_via == "pull" && r.unreadable_reason.is_none()));
    for case in [&bike.case_number, &tip.case_number] {
        let stored = reports::get_by_case_number(&app.state.db, &case.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let row = rows.iter().find(|r| &r.case_number == case).unwrap();
        assert_eq!(row.envelope_sha256, stored.envelope_sha256);
    }

    let opened = reading::view(&inbox.receiver, "anna", &bike.case_number)
        .await
        .unwrap();
    assert_holds_what_was_entered(&opened.document, &filler);
}
with_both_engines!(reports_are_pulled_stored_once_and_acknowledged);
