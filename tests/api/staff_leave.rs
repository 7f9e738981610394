//! Staff leave and lost credentials from the command line: `user disable`, `user
//! reset-password`, `token list`, `token revoke`. Each takes effect on the running
//! instance at once and is audited.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use crate::filing::csrf_token;
use crate::helpers::TestApp;
use crate::on_both_engines;
use crate::staff::{add_token, add_user, binary, sign_in, PASSWORD};

async fn cli(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = binary()
        .args(args)
        .env("IW_DATABASE_URL", &app.database_url)
        .env("IW_DATA_DIR", &app.data_dir)
        .current_dir(app.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn sign_in_status(app: &TestApp, name: &str, password: &str) -> u16 {
    let csrf = csrf_token(&app.get("/anmelden").await.text().await.unwrap());
    app.client
        .post(app.url("/anmelden"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", name),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn reports_page(app: &TestApp) -> u16 {
    app.get("/polizei/berichte").await.status().as_u16()
}

async fn leave_and_revocation_take_effect_at_once(mut app: TestApp) {
    add_user(&app, "be-clerk", "clerk", Some("be")).await;
    sign_in(&app, "be-clerk").await;
    assert_eq!(reports_page(&app).await, 200);

    // Disabled: the open session ends and signing in again fails.
    let (ok, out) = cli(&app, &["user", "disable", "--username", "be-clerk"], "").await;
    assert!(ok, "{out}");
    assert_ne!(reports_page(&app).await, 200, "session ended");
    app.client_reset();
    assert_ne!(sign_in_status(&app, "be-clerk", PASSWORD).await, 303);
    let (ok, out) = cli(&app, &["user", "disable", "--username", "be-clerk"], "").await;
    assert!(!ok && out.contains("no enabled account"), "{out}");

    // Reset password: the old session ends, the old password no longer works.
    add_user(&app, "be-clerk2", "clerk", Some("be")).await;
    sign_in(&app, "be-clerk2").await;
    let new_password = "another long password 42";
    let (ok, out) = cli(
        &app,
        &["user", "reset-password", "--username", "be-clerk2"],
        &format!("{new_password}\n"),
    )
    .await;
    assert!(ok, "{out}");
    assert_ne!(reports_page(&app).await, 200, "session ended");
    app.client_reset();
    assert_ne!(sign_in_status(&app, "be-clerk2", PASSWORD).await, 303);
    assert_eq!(sign_in_status(&app, "be-clerk2", new_password).await, 303);
    assert_eq!(reports_page(&app).await, 200);

    // Tokens: listed without secrets, revoked at once.
    let token = add_token(&app, "be").await;
    let api = |app: &TestApp| {
        app.client
            .get(app.url("/api/v1/reports"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(api(&app).await.unwrap().status(), 200);
    let (ok, list) = cli(&app, &["token", "list"], "").await;
    assert!(ok, "{list}");
    let line = list
        .lines()
        .find(|l| l.contains("\tbe\ttest\t"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.ends_with("\t-"), "{line}");
    assert!(!list.contains(&token));
    let id = line.split('\t').next().unwrap();
    let (ok, out) = cli(&app, &["token", "revoke", "--id", id], "").await;
    assert!(ok, "{out}");
    assert_eq!(api(&app).await.unwrap().status(), 401);

    // All three are in the audit log, and the chain holds.
    let actions: Vec<String> = internetwache::store::audit::all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.actor == "cli")
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["user_disable", "user_password_reset", "token_revoke"]
    );
    let (ok, out) = cli(&app, &["audit", "verify"], "").await;
    assert!(ok, "{out}");
}
on_both_engines!(leave_and_revocation_take_effect_at_once);
