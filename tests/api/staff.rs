//! Staff pages and the pull API: state isolation over every route, sign-in, publishing
//! (also across instances), the audit chain, and `clerk pull` against a live server.

use chrono::Utc;
use internetwache::crypto::{Envelope, EnvelopeMetadata};
use internetwache::reports::case_number::CaseNumber;
use internetwache::routes::staff::{Access, ROUTES};
use internetwache::staff::hash_password;
use internetwache::state_code::StateCode;
use internetwache::store::reports::{self, NewReport, SubmitOutcome};
use internetwache::store::{forms as store_forms, staff as store_staff, Db};

use crate::filing::{
    complete_step, csrf_token, file_report, location, start, submit_from_review, Filler,
};
use crate::helpers::{spawn_app, spawn_sibling, Backend, TestApp};
use crate::on_both_engines;

pub const PASSWORD: &str = "correct horse battery";

pub async fn add_user(app: &TestApp, name: &str, role: &str, state: Option<&str>) {
    let hash = hash_password(PASSWORD).unwrap();
    let state = state.map(|s| StateCode::parse(s).unwrap());
    store_staff::add_user(
        &app.state.db,
        name,
        &hash,
        role,
        state.as_ref(),
        None,
        Utc::now(),
    )
    .await
    .unwrap()
    .expect("user added");
}

pub async fn add_token(app: &TestApp, state: &str) -> String {
    let token = internetwache::crypto::generate_token().unwrap();
    store_staff::add_token(
        &app.state.db,
        &internetwache::crypto::token_hash(&token),
        &StateCode::parse(state).unwrap(),
        "test",
        Utc::now(),
    )
    .await
    .unwrap();
    token
}

/// Signs in with this app's client; panics unless it worked.
pub async fn sign_in(app: &TestApp, name: &str) {
    let page = app.get("/anmelden").await.text().await.unwrap();
    let csrf = csrf_token(&page);
    let res = app
        .client
        .post(app.url("/anmelden"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", name),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "sign-in of {name}");
}

/// This browser's CSRF token (any form page issues it; the sign-in page redirects once
/// signed in).
pub async fn staff_csrf(app: &TestApp) -> String {
    csrf_token(&app.get("/melden/bundesland").await.text().await.unwrap())
}

/// Stores a sealed report the way a submission does, without the HTTP journey.
pub async fn seal_report(app: &TestApp, state: &str, form: &str) -> (i64, String) {
    let variant = app
        .state
        .forms
        .live(&app.state.db, &StateCode::parse(state).unwrap(), form)
        .await
        .unwrap()
        .expect("live form");
    let key = app.state.police_keys.sealing_key(state).unwrap();
    let case = CaseNumber::generate(state).unwrap();
    let now = Utc::now();
    let metadata = EnvelopeMetadata {
        case_number: case.clone(),
        state: state.to_owned(),
        recipient_key_id: key.key_id.clone(),
        form_id: variant.id.clone(),
        form_version: variant.version,
        form_content_hash: variant.content_hash.clone(),
        submitted_at: now,
        office_id: None,
    };
    let plaintext = serde_json::to_vec(&serde_json::json!({
        "case_number": case.as_str(), "note": "sealed test report"
    }))
    .unwrap();
    let envelope = Envelope::seal(&metadata, key, &plaintext).unwrap();
    let submission_key = uuid::Uuid::new_v4().to_string();
    let outcome = reports::submit(
        &app.state.db,
        &NewReport {
            case_number: &case,
            submission_key: &submission_key,
            state: &StateCode::parse(state).unwrap(),
            category: &variant.category,
            form_id: &variant.id,
            form_version: i64::from(variant.version),
            content_hash: &variant.content_hash,
            office_id: None,
            key_id: &key.key_id,
            envelope: &envelope.to_json(),
            envelope_sha256: &envelope.sha256_hex(),
            submitted_at: now,
            confirmation: None,
            max_attempts: 5,
            status_code_hash: "00",
            draft_payload: None,
        },
        None,
    )
    .await
    .unwrap();
    match outcome {
        SubmitOutcome::Created { report_id } => (report_id, case.to_string()),
        other => panic!("not stored: {other:?}"),
    }
}

pub async fn deliver_job_of(db: &Db, report_id: i64) -> (i64, String) {
    internetwache::with_db!(db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT id, status FROM jobs WHERE report_id = $1 AND kind = 'deliver'",
    )
    .bind(report_id)
    .fetch_one(pool)
    .await
    .unwrap())
}

/// Values for every path placeholder: Brandenburg's objects.
fn fill(path: &str, bb_case: &str, bb_job: i64) -> String {
    let filled = path
        .replace("{case_number}", bb_case)
        .replace("{state}", "bb")
        .replace("{form}", "betrug")
        .replace("{version}", "1")
        .replace("{seq}", "1")
        .replace("{job}", &bb_job.to_string());
    assert!(
        !filled.contains('{'),
        "{path}: unknown placeholder; teach the isolation test its Brandenburg value"
    );
    filled
}

async fn send(
    client: &reqwest::Client,
    app: &TestApp,
    method: &str,
    path: &str,
    csrf: &str,
    bearer: Option<&str>,
) -> reqwest::Response {
    let mut req = match method {
        "get" => client.get(app.url(path)),
        "post" if path.starts_with("/api/") => client
            .post(app.url(path))
            .json(&serde_json::json!({ "receipt": "v1=00" })),
        "post" => client.post(app.url(path)).form(&[
            ("csrf_token", csrf),
            ("receipt", "v1=00"),
            ("source", "x"),
        ]),
        other => panic!("method {other} not covered"),
    };
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

async fn state_isolation(mut app: TestApp) {
    let (bb_report, bb_case) = seal_report(&app, "bb", "betrug").await;
    let (_, be_case) = seal_report(&app, "be", "betrug").await;
    let (bb_job, _) = deliver_job_of(&app.state.db, bb_report).await;
    add_user(&app, "be-clerk", "clerk", Some("be")).await;
    add_user(&app, "be-admin", "admin", Some("be")).await;
    let be_token = add_token(&app, "be").await;

    // Without authentication: pages send to the sign-in, the API answers 401 problem+json.
    for route in ROUTES {
        let path = fill(route.path, &bb_case, bb_job);
        let res = send(&app.client, &app, route.method, &path, "x", None).await;
        match route.access {
            Access::Public => {}
            Access::Page => {
                assert_eq!(res.status(), 303, "{} {path} without sign-in", route.method);
                assert_eq!(location(&res), "/anmelden", "{path}");
            }
            Access::Api => {
                assert_eq!(res.status(), 401, "{path} without token");
                let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
                assert_eq!(ct, "application/problem+json", "{path}");
                let body: serde_json::Value = res.json().await.unwrap();
                for field in ["type", "title", "status", "detail"] {
                    assert!(body.get(field).is_some(), "{path}: problem lacks {field}");
                }
            }
        }
    }

    // Berlin staff: never a Brandenburg object.
    for user in ["be-clerk", "be-admin"] {
        app.client_reset();
        sign_in(&app, user).await;
        let csrf = staff_csrf(&app).await;
        for route in ROUTES.iter().filter(|r| r.access == Access::Page) {
            if matches!(route.path, "/abmelden" | "/anmelden") {
                continue;
            }
            let path = fill(route.path, &bb_case, bb_job);
            let res = send(&app.client, &app, route.method, &path, &csrf, None).await;
            let status = res.status().as_u16();
            if route.path.contains('{') {
                assert!(
                    status == 403 || status == 404,
                    "{user}: {} {path} answered {status}",
                    route.method
                );
            } else {
                let body = res.text().await.unwrap();
                assert!(
                    !body.contains(&bb_case),
                    "{user}: {path} shows a Brandenburg report"
                );
                assert!(
                    !body.contains("/verwaltung/formulare/bb/"),
                    "{user}: {path} shows a Brandenburg variant"
                );
                assert!(
                    !body.contains(&format!("/verwaltung/warteschlange/{bb_job}/")),
                    "{user}: {path} shows a Brandenburg job"
                );
            }
        }
        // The Brandenburg report stays untouched.
        let row = reports::get_by_case_number(&app.state.db, &bb_case.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "pending");
    }
    // Positive control: the clerk does see Berlin's report.
    app.client_reset();
    sign_in(&app, "be-clerk").await;
    let own = app.get(&format!("/polizei/berichte/{be_case}")).await;
    assert_eq!(own.status(), 200);
    let list = app.get("/polizei/berichte").await.text().await.unwrap();
    assert!(list.contains(&be_case));

    // A Berlin token.
    let api = reqwest::Client::new();
    for route in ROUTES.iter().filter(|r| r.access == Access::Api) {
        let path = fill(route.path, &bb_case, bb_job);
        let res = send(&api, &app, route.method, &path, "", Some(&be_token)).await;
        let status = res.status().as_u16();
        if route.path.contains('{') {
            assert!(
                status == 403 || status == 404,
                "token: {path} answered {status}"
            );
            assert_eq!(
                res.headers()["content-type"].to_str().unwrap(),
                "application/problem+json"
            );
        } else {
            assert_eq!(status, 200, "{path}");
            let body = res.text().await.unwrap();
            assert!(
                !body.contains(&bb_case),
                "token: {path} lists a Brandenburg report"
            );
            // This fixture has no follow-ups: their list is empty, only isolation is checked.
            if !path.starts_with("/api/v1/followups") {
                assert!(
                    body.contains(&be_case),
                    "token: {path} lists Berlin's report"
                );
            }
        }
    }
    let bad_case = api
        .get(app.url("/api/v1/reports/NOT-A-CASE"))
        .bearer_auth(&be_token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_case.status(), 400);
    let row = reports::get_by_case_number(&app.state.db, &bb_case.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "pending");
    // Workers may have moved it to `waiting` (pull mode); it must not be done.
    assert_ne!(deliver_job_of(&app.state.db, bb_report).await.1, "done");
}
on_both_engines!(state_isolation);

#[test]
fn every_api_route_is_in_the_openapi_document() {
    let doc: serde_json::Value =
        serde_json::from_str(internetwache::routes::staff::api::OPENAPI).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for route in ROUTES.iter().filter(|r| r.path.starts_with("/api/v1/")) {
        let rel = route.path.trim_start_matches("/api/v1");
        let op = &doc["paths"][rel][route.method];
        assert!(
            op.is_object(),
            "{} {} missing from docs/openapi.json",
            route.method,
            route.path
        );
    }
}

async fn sign_in_is_throttled_and_sessions_end(mut app: TestApp) {
    add_user(&app, "be-clerk", "clerk", Some("be")).await;
    // Wrong password and unknown user read the same.
    let csrf = staff_csrf(&app).await;
    let mut messages = Vec::new();
    for (user, password) in [("be-clerk", "wrong"), ("nobody", "wrong")] {
        let res = app
            .client
            .post(app.url("/anmelden"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("username", user),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        let start = body.find("class=\"error-summary\"").expect("error summary");
        messages.push(body[start..start + 300].replace(user, "USER"));
    }
    assert_eq!(messages[0], messages[1], "no user enumeration");

    // After the limit even the right password is refused for a while.
    for _ in 0..5 {
        app.client
            .post(app.url("/anmelden"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("username", "be-clerk"),
                ("password", "nope"),
            ])
            .send()
            .await
            .unwrap();
    }
    let res = app
        .client
        .post(app.url("/anmelden"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "be-clerk"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "locked out");
    assert!(res.text().await.unwrap().contains("Zu viele"));

    // Another user from a fresh lockout state signs in; the cookie is strict.
    store_staff::clear_failures(
        &app.state.db,
        &internetwache::crypto::token_hash("ip:127.0.0.1"),
    )
    .await
    .unwrap();
    add_user(&app, "be-clerk2", "clerk", Some("be")).await;
    app.client_reset();
    let csrf = staff_csrf(&app).await;
    let res = app
        .client
        .post(app.url("/anmelden"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "be-clerk2"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("iw_staff="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(app.get("/polizei/berichte").await.status(), 200);
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("iw_staff=");
    let stored = internetwache::with_db!(&app.state.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT id FROM staff_sessions").fetch_all(pool).await.unwrap());
    assert!(
        !stored.iter().any(|s| s == token),
        "only the hash is stored"
    );

    // Sign-out ends the session on the server.
    let res = app
        .client
        .post(app.url("/abmelden"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/polizei/berichte"))
        .header("cookie", format!("iw_staff={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303, "the old cookie no longer works");
}
on_both_engines!(sign_in_is_throttled_and_sessions_end);

const VALID_UPLOAD: &str = "id = \"betrug\"\nversion = 1\nextends = \"base/betrug\"\n";
const BROKEN_UPLOAD: &str = "id = \"betrug\"\nversion = 1\nextends = \"base/gibt-es-nicht\"\n";

/// Uploads as the signed-in admin; returns the page.
async fn upload(app: &TestApp, source: &str) -> String {
    upload_multipart(
        app,
        reqwest::multipart::Form::new().text("source", source.to_owned()),
    )
    .await
}

/// Sends `form` (with this browser's CSRF token added) to the upload page; returns the page.
pub async fn upload_multipart(app: &TestApp, form: reqwest::multipart::Form) -> String {
    let form = form.text("csrf_token", staff_csrf(app).await);
    let res = app
        .client
        .post(app.url("/verwaltung/formulare/neu"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn publish(app: &TestApp, source: &str) {
    let csrf = staff_csrf(app).await;
    let res = app
        .client
        .post(app.url("/verwaltung/formulare/veroeffentlichen"))
        .form(&[("csrf_token", csrf.as_str()), ("source", source)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "publish");
}

async fn live_version(app: &TestApp, state: &str, form: &str) -> u32 {
    app.state
        .forms
        .live(&app.state.db, &StateCode::parse(state).unwrap(), form)
        .await
        .unwrap()
        .unwrap()
        .version
}

async fn publishing_a_variant(mut app: TestApp) {
    add_user(&app, "be-admin", "admin", Some("be")).await;
    sign_in(&app, "be-admin").await;
    let before = store_forms::all_for_state(&app.state.db, "be")
        .await
        .unwrap()
        .len();
    let n = live_version(&app, "be", "betrug").await;

    // Broken: the problems with their line numbers, and nothing changes.
    let page = upload(&app, BROKEN_UPLOAD).await;
    assert!(page.contains("class=\"error-summary\""), "{page}");
    assert!(page.contains("Zeile 3:"), "line number shown: {page}");
    assert_eq!(
        store_forms::all_for_state(&app.state.db, "be")
            .await
            .unwrap()
            .len(),
        before
    );
    assert_eq!(live_version(&app, "be", "betrug").await, n);

    // A citizen starts a draft on N.
    let mut citizen = crate::helpers::browser();
    std::mem::swap(&mut citizen, &mut app.client);
    let old = app
        .state
        .forms
        .live(&app.state.db, &StateCode::parse("be").unwrap(), "betrug")
        .await
        .unwrap()
        .unwrap();
    let mut filler = Filler::new("10115", "Pub");
    let mut url = start(&app, "be", "betrug").await;
    url = complete_step(&app, &old, &url, &mut filler).await;
    std::mem::swap(&mut citizen, &mut app.client);

    // Valid: preview of every step, then publish as N+1.
    let page = upload(&app, VALID_UPLOAD).await;
    assert!(!page.contains("class=\"error-summary\""), "{page}");
    assert_eq!(
        page.matches("class=\"preview-step\"").count(),
        old.steps.len()
    );
    assert!(page.contains(&format!("v{}", n + 1)));
    assert_eq!(
        live_version(&app, "be", "betrug").await,
        n,
        "preview publishes nothing"
    );
    publish(&app, VALID_UPLOAD).await;
    assert_eq!(live_version(&app, "be", "betrug").await, n + 1);
    let stored = store_forms::get(&app.state.db, "be", "betrug", i64::from(n + 1))
        .await
        .unwrap()
        .unwrap();
    let definition: internetwache::forms::FormVariant =
        serde_json::from_str(&stored.definition).unwrap();
    assert_eq!(
        definition.version,
        n + 1,
        "stored definition carries its row's version"
    );
    assert_eq!(definition.content_hash, stored.content_hash);
    assert_ne!(stored.content_hash, old.content_hash);
    let list = app.get("/verwaltung/formulare").await.text().await.unwrap();
    assert!(list.contains(&format!("/verwaltung/formulare/be/betrug/{}", n + 1)));

    // The open draft finishes on N; a new one gets N+1.
    std::mem::swap(&mut citizen, &mut app.client);
    while url.contains("/schritt/") {
        url = complete_step(&app, &old, &url, &mut filler).await;
    }
    let filed = submit_from_review(&app, &url, old.clone()).await;
    let row = reports::get_by_case_number(&app.state.db, &filed.case_number.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.form_version, i64::from(n));
    app.client_reset();
    let filed = file_report(&app, "be", "betrug", &mut Filler::new("10115", "New")).await;
    let row = reports::get_by_case_number(&app.state.db, &filed.case_number.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.form_version, i64::from(n + 1));

    // Retire: no longer offered; nothing pinned to it changes.
    std::mem::swap(&mut citizen, &mut app.client);
    let csrf = staff_csrf(&app).await;
    let res = app
        .client
        .post(app.url("/verwaltung/formulare/be/betrug/zurueckziehen"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(app
        .state
        .forms
        .live(&app.state.db, &StateCode::parse("be").unwrap(), "betrug")
        .await
        .unwrap()
        .is_none());
    assert!(app
        .state
        .forms
        .pinned(
            &app.state.db,
            &StateCode::parse("be").unwrap(),
            "betrug",
            i64::from(n),
        )
        .await
        .unwrap()
        .is_some());
}
on_both_engines!(publishing_a_variant);

#[tokio::test]
async fn a_publication_is_served_by_another_instance_at_once() {
    let Some(first) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let second = spawn_sibling(&first).await;
    let n = live_version(&second, "be", "betrug").await;
    // Warm the second instance's view before the publication.
    let _ = second.get("/be/betrug").await;
    add_user(&first, "be-admin", "admin", Some("be")).await;
    sign_in(&first, "be-admin").await;
    publish(&first, VALID_UPLOAD).await;
    let filed = file_report(&second, "be", "betrug", &mut Filler::new("10115", "Two")).await;
    let row = reports::get_by_case_number(&second.state.db, &filed.case_number.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.form_version,
        i64::from(n + 1),
        "served by the other instance"
    );
}

/// The binary under test; `INTERNETWACHE_TEST_BIN` overrides it where several checkouts
/// share one target directory.
pub fn binary() -> tokio::process::Command {
    let path = std::env::var("INTERNETWACHE_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_internetwache").to_owned());
    let mut cmd = tokio::process::Command::new(path);
    for (k, _) in std::env::vars() {
        if k.starts_with("IW_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

async fn audit_verify(app: &TestApp) -> (bool, String) {
    let out = binary()
        .args(["audit", "verify"])
        .env("IW_DATABASE_URL", &app.database_url)
        .env("IW_DATA_DIR", &app.data_dir)
        .current_dir(app.dir.path())
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_owned())
}

#[tokio::test]
async fn audit_verify_catches_deleted_edited_and_reordered_entries() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    add_user(&app, "be-clerk", "clerk", Some("be")).await;
    let (_, case) = seal_report(&app, "be", "betrug").await;
    sign_in(&app, "be-clerk").await;
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/polizei/berichte/{case}/umschlag"))
                .await
                .status(),
            200
        );
    }
    let (ok, text) = audit_verify(&app).await;
    assert!(ok, "{text}");
    assert_eq!(text, "audit log intact: 4 entries");

    let Db::Sqlite(sqlite) = &app.state.db else {
        unreachable!()
    };
    let exec = |sql: &'static str| async move {
        let mut writer = sqlite.writer().await.unwrap();
        sqlx::query(sql).execute(&mut *writer).await.unwrap();
    };
    // Edited.
    exec("UPDATE audit_log SET actor = 'someone-else' WHERE id = 3").await;
    let (ok, text) = audit_verify(&app).await;
    assert!(!ok && text.contains("entry 3"), "{text}");
    exec("UPDATE audit_log SET actor = 'be-clerk' WHERE id = 3").await;
    assert!(audit_verify(&app).await.0);

    // Deleted.
    exec("CREATE TABLE saved AS SELECT * FROM audit_log WHERE id = 2").await;
    exec("DELETE FROM audit_log WHERE id = 2").await;
    let (ok, text) = audit_verify(&app).await;
    assert!(!ok && text.contains("entry 3"), "{text}");
    exec("INSERT INTO audit_log SELECT * FROM saved").await;
    assert!(audit_verify(&app).await.0);

    // Reordered: entries 2 and 3 swap places.
    exec("UPDATE audit_log SET id = -2 WHERE id = 2").await;
    exec("UPDATE audit_log SET id = 2 WHERE id = 3").await;
    exec("UPDATE audit_log SET id = 3 WHERE id = -2").await;
    let (ok, text) = audit_verify(&app).await;
    assert!(!ok && text.contains("entry 2"), "{text}");
}

/// 101 reports: the pull client walks two pages of 100.
async fn clerk_pull_delivers_101_reports_over_two_pages(app: TestApp) {
    let mut ids = Vec::new();
    for _ in 0..101 {
        ids.push(seal_report(&app, "be", "fahrraddiebstahl").await);
    }
    let (_, bb_case) = seal_report(&app, "bb", "betrug").await;
    let token = add_token(&app, "be").await;
    internetwache::staff::receipts::secret_for(&app.state.settings, "be").unwrap();
    let secret = internetwache::staff::receipts::secret_path(&app.state.settings, "be");
    let key = std::fs::read_dir(app.data_dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("be-") && name.ends_with(".private.json")
        })
        .expect("demo private key for be");
    let out_dir = app.dir.path().join("pulled");
    let out = binary()
        .args([
            "clerk",
            "pull",
            "--url",
            &app.address,
            &format!("--token={token}"),
            "--key",
        ])
        .arg(&key)
        .arg("--receipt-secret")
        .arg(&secret)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("pulled 101 reports"));
    for (report_id, case) in &ids {
        let text = std::fs::read_to_string(out_dir.join(format!("{case}.json"))).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["case_number"], case.as_str(), "decrypted");
        let row = reports::get_by_id(&app.state.db, *report_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "delivered", "{case}");
        assert_eq!(deliver_job_of(&app.state.db, *report_id).await.1, "done");
    }
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 101);
    let bb = reports::get_by_case_number(&app.state.db, &bb_case.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bb.status, "pending", "another state's report is untouched");

    // A wrong receipt is refused with problem+json.
    let (_, extra) = seal_report(&app, "be", "betrug").await;
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/reports/{extra}/receipt")))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "receipt": "v1=0000" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}
on_both_engines!(clerk_pull_delivers_101_reports_over_two_pages);

async fn pull_api_omits_next_cursor_on_the_last_page(app: TestApp) {
    for _ in 0..3 {
        seal_report(&app, "be", "betrug").await;
    }
    let token = add_token(&app, "be").await;
    let page = |query: String| {
        let request = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/reports?limit=2{query}")))
            .bearer_auth(&token);
        async move {
            let res = request.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    let first = page(String::new()).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a cursor while more follow");
    let last = page(format!("&cursor={cursor}")).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(
        last.get("next_cursor").is_none(),
        "no next_cursor key on the last page: {last}"
    );
}
on_both_engines!(pull_api_omits_next_cursor_on_the_last_page);

async fn clerk_downloads_and_confirms_receipt(mut app: TestApp) {
    let (report_id, case) = seal_report(&app, "be", "betrug").await;
    let (_, bb_case) = seal_report(&app, "bb", "betrug").await;
    add_user(&app, "be-clerk", "clerk", Some("be")).await;
    sign_in(&app, "be-clerk").await;
    let list = app
        .get("/polizei/berichte?status=pending")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&case) && !list.contains(&bb_case));
    assert!(list.contains("betrug v2"), "form version shown");

    let res = app.get(&format!("/polizei/berichte/{case}/umschlag")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let downloaded = res.text().await.unwrap();
    let stored = reports::envelope(&app.state.db, report_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(downloaded, stored, "exactly as stored");

    let csrf = staff_csrf(&app).await;
    let confirm = |receipt: String| {
        let client = app.client.clone();
        let url = app.url(&format!("/polizei/berichte/{case}/empfang"));
        let csrf = csrf.clone();
        async move {
            client
                .post(url)
                .form(&[("csrf_token", csrf.as_str()), ("receipt", receipt.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = confirm("v1=00".into()).await;
    assert_eq!(wrong.status(), 200);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("class=\"error-summary\""));
    let secret = internetwache::staff::receipts::secret_for(&app.state.settings, "be").unwrap();
    let receipt = internetwache::delivery::receipt::compute(&secret, &case, downloaded.as_bytes());
    let ok = confirm(receipt).await;
    assert_eq!(ok.status(), 303);
    let row = reports::get_by_id(&app.state.db, report_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "delivered");
    assert_eq!(deliver_job_of(&app.state.db, report_id).await.1, "done");

    let actions: Vec<String> = internetwache::store::audit::all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(actions, ["sign_in", "envelope_download", "receipt"]);

    // The operator reads every state but acts on none.
    add_user(&app, "ops", "operator", None).await;
    app.client_reset();
    sign_in(&app, "ops").await;
    let list = app.get("/polizei/berichte").await.text().await.unwrap();
    assert!(list.contains(&case) && list.contains(&bb_case));
    assert_eq!(
        app.get(&format!("/polizei/berichte/{bb_case}/umschlag"))
            .await
            .status(),
        403
    );
}
on_both_engines!(clerk_downloads_and_confirms_receipt);

async fn admin_requeues_a_dead_letter(app: TestApp) {
    let (report_id, case) = seal_report(&app, "be", "betrug").await;
    let (job, _) = deliver_job_of(&app.state.db, report_id).await;
    internetwache::with_db!(&app.state.db, pool => sqlx::query(
        "UPDATE jobs SET status = 'dead', attempts = 5, last_error = 'police endpoint: 503' WHERE id = $1")
        .bind(job).execute(pool).await.map(|_| ()).unwrap());
    add_user(&app, "be-admin", "admin", Some("be")).await;
    sign_in(&app, "be-admin").await;
    let page = app
        .get("/verwaltung/warteschlange")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&case) && page.contains("police endpoint: 503"));
    let csrf = staff_csrf(&app).await;
    let res = app
        .client
        .post(app.url(&format!("/verwaltung/warteschlange/{job}/erneut")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Requeued: the app's own workers may already have taken it (pull mode then waits for
    // the receipt), but it is no longer a dead letter.
    let status = deliver_job_of(&app.state.db, report_id).await.1;
    assert!(
        matches!(status.as_str(), "pending" | "running" | "waiting"),
        "requeued job is {status}"
    );
    let last = internetwache::store::audit::recent(&app.state.db, Some("be"), 1)
        .await
        .unwrap();
    assert_eq!(last[0].action, "job_requeue");
    assert_eq!(last[0].object.as_deref(), Some(job.to_string().as_str()));
}
on_both_engines!(admin_requeues_a_dead_letter);

async fn concurrent_audit_appends_keep_one_chain(app: TestApp) {
    let mut tasks = Vec::new();
    for i in 0..40 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            internetwache::staff::audit(
                &state.db,
                &state.audit_key,
                &format!("writer{i}"),
                "test",
                Some("be"),
                None,
            )
            .await
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rows = internetwache::store::audit::all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        internetwache::store::audit::verify_chain(&app.state.audit_key, &rows),
        Ok(40)
    );
}
on_both_engines!(concurrent_audit_appends_keep_one_chain);

async fn overdue_reports_are_listed_for_their_states_admins(app: TestApp) {
    let (old_id, old_case) = seal_report(&app, "be", "betrug").await;
    let (_, fresh_case) = seal_report(&app, "be", "betrug").await;
    let (bb_id, bb_case) = seal_report(&app, "bb", "betrug").await;
    let two_hours_ago = chrono::Utc::now() - chrono::Duration::hours(2);
    for id in [old_id, bb_id] {
        internetwache::with_db!(&app.state.db, pool => sqlx::query(
            "UPDATE reports SET submitted_at = $1 WHERE id = $2")
            .bind(two_hours_ago).bind(id).execute(pool).await.map(|_| ()).unwrap());
    }
    add_user(&app, "be-admin", "admin", Some("be")).await;
    sign_in(&app, "be-admin").await;
    let page = app
        .get("/verwaltung/warteschlange")
        .await
        .text()
        .await
        .unwrap();
    let overdue =
        &page[page.find("id=\"overdue\"").unwrap()..page.find("Offene Aufträge").unwrap()];
    assert!(
        overdue.contains(&old_case),
        "the overdue Berlin report is listed"
    );
    assert!(
        !overdue.contains(&fresh_case),
        "a fresh report is not overdue"
    );
    assert!(
        !page.contains(&bb_case),
        "another state's report is not shown"
    );
}
on_both_engines!(overdue_reports_are_listed_for_their_states_admins);
