//! The storage conformance suite: every behaviour of the store, on both engines.

use chrono::Utc;
use internetwache::store::forms::{self, NewFormVersion, Origin, Registration};

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
        forms::register(db, &version("test-form", 1, "aaa"), now)
            .await
            .unwrap(),
        Registration::Registered
    );
    assert_eq!(
        forms::register(db, &version("test-form", 1, "aaa"), now)
            .await
            .unwrap(),
        Registration::Unchanged
    );
    assert_eq!(
        forms::register(db, &version("test-form", 1, "bbb"), now)
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
    forms::register(db, &version("test-live", 1, "h1"), now)
        .await
        .unwrap();
    forms::register(db, &version("test-live", 2, "h2"), now)
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

    assert!(forms::retire(db, "be", "test-live", now).await.unwrap());
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
