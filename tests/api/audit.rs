//! The audit log: an action and its entry commit together or not at all, and a head
//! published earlier exposes entries cut off the end.

use chrono::Utc;
use internetwache::store::audit::{self, NewAuditEntry};
use internetwache::store::{forms as store_forms, Engine};

use crate::helpers::TestApp;
use crate::on_both_engines;
use crate::staff::{add_token, add_user, binary, deliver_job_of, seal_report, sign_in, staff_csrf};

async fn exec(app: &TestApp, sql: &str) {
    internetwache::with_db!(&app.state.db, pool => sqlx::query(sql).execute(pool).await.map(|_| ()))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// From now on every audit insert fails, as a full disk or a lost connection would
/// between an action and its entry.
async fn break_audit_inserts(app: &TestApp) {
    match app.state.db.engine() {
        Engine::Sqlite => {
            exec(
                app,
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log \
                 BEGIN SELECT RAISE(ABORT, 'audit insert forced to fail'); END",
            )
            .await
        }
        Engine::Postgres => {
            exec(
                app,
                "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'audit insert forced to fail'; END $$",
            )
            .await;
            exec(
                app,
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION fail_audit()",
            )
            .await
        }
    }
}

async fn entries(app: &TestApp) -> usize {
    audit::all(&app.state.db).await.unwrap().len()
}

async fn live(app: &TestApp, form: &str) -> bool {
    store_forms::live(&app.state.db)
        .await
        .unwrap()
        .iter()
        .any(|r| r.state.as_str() == "be" && r.form_id == form)
}

async fn action_and_entry_commit_together(app: TestApp) {
    let (report_id, case) = seal_report(&app, "be", "betrug").await;
    let (job, _) = deliver_job_of(&app.state.db, report_id).await;
    exec(
        &app,
        &format!("UPDATE jobs SET status = 'dead' WHERE id = {job}"),
    )
    .await;
    let token = add_token(&app, "be").await;
    add_user(&app, "be-admin", "admin", Some("be")).await;
    sign_in(&app, "be-admin").await;
    let csrf = staff_csrf(&app).await;
    let before = entries(&app).await;
    break_audit_inserts(&app).await;

    // Retire: refused as a whole; the form stays live.
    let retire = app
        .client
        .post(app.url("/verwaltung/formulare/be/betrug/zurueckziehen"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(retire.status().is_server_error(), "{}", retire.status());
    assert!(
        live(&app, "betrug").await,
        "retired without its audit entry"
    );

    // Requeue: the dead letter stays dead.
    let requeue = app
        .client
        .post(app.url(&format!("/verwaltung/warteschlange/{job}/erneut")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(requeue.status().is_server_error(), "{}", requeue.status());
    assert_eq!(deliver_job_of(&app.state.db, report_id).await.1, "dead");

    // Receipt through the pull API: the report stays undelivered.
    let envelope = internetwache::store::reports::envelope(&app.state.db, report_id)
        .await
        .unwrap()
        .unwrap();
    let secret = internetwache::staff::receipts::secret_for(&app.state.settings, "be").unwrap();
    let receipt = internetwache::delivery::receipt::compute(&secret, &case, envelope.as_bytes());
    let res = app
        .client
        .post(app.url(&format!("/api/v1/reports/{case}/receipt")))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "receipt": receipt }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_server_error(), "{}", res.status());
    let report = internetwache::store::reports::get_by_id(&app.state.db, report_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        report.status, "pending",
        "delivered without its audit entry"
    );
    assert_eq!(entries(&app).await, before);

    // With the log writable again, the same retire commits with its entry.
    match app.state.db.engine() {
        Engine::Sqlite => exec(&app, "DROP TRIGGER fail_audit").await,
        Engine::Postgres => exec(&app, "DROP FUNCTION fail_audit() CASCADE").await,
    }
    let retire = app
        .client
        .post(app.url("/verwaltung/formulare/be/betrug/zurueckziehen"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retire.status(), 303);
    assert!(!live(&app, "betrug").await);
    let last = audit::recent(&app.state.db, Some("be"), 1).await.unwrap();
    assert_eq!(last[0].action, "variant_retire");
    assert_eq!(entries(&app).await, before + 1);
}
on_both_engines!(action_and_entry_commit_together);

async fn cli(app: &TestApp, args: &[&str]) -> (Option<i32>, String, String) {
    let out = binary()
        .args(args)
        .env("IW_DATABASE_URL", &app.database_url)
        .env("IW_DATA_DIR", &app.data_dir)
        .current_dir(app.dir.path())
        .output()
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

async fn verify_against_a_published_head_detects_a_cut_tail(app: TestApp) {
    for i in 0..5 {
        let object = format!("entry-{i}");
        audit::append(
            &app.state.db,
            &app.state.audit_key,
            &NewAuditEntry {
                actor: "test",
                action: "sign_in",
                state: Some("be"),
                object: Some(&object),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    }
    let (code, head, _) = cli(&app, &["audit", "head"]).await;
    assert_eq!(code, Some(0));
    assert!(head.starts_with("5:") && head.len() == 66, "{head}");
    let (code, out, err) = cli(&app, &["audit", "verify", "--head", &head]).await;
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out, "audit log intact: 5 entries, reaches head 5");

    // Someone with the database removes the last two entries.
    exec(&app, "DELETE FROM audit_log WHERE id > 3").await;
    let (code, out, _) = cli(&app, &["audit", "verify"]).await;
    assert_eq!(code, Some(0), "the chain alone cannot see a cut tail");
    assert_eq!(out, "audit log intact: 3 entries");
    let (code, _, err) = cli(&app, &["audit", "verify", "--head", &head]).await;
    assert_eq!(code, Some(1));
    assert!(err.contains("does not reach the head 5:"), "{err}");
    assert!(err.contains("cut off the end"), "{err}");

    // A malformed head is a usage error, not a verdict.
    let (code, _, err) = cli(&app, &["audit", "verify", "--head", "5:nothex"]).await;
    assert_eq!(code, Some(2));
    assert!(err.contains("64 hex digits"), "{err}");
}
on_both_engines!(verify_against_a_published_head_detects_a_cut_tail);
