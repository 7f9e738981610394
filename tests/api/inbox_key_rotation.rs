//! Rotating a state's key while reports are in flight, with real `serve` and `inbox`
//! processes on their own databases: reports sealed to the old key wait in the intake's
//! queue, the intake is restarted with a new newest key, more reports are filed, and the
//! inbox (holding both private keys) opens every one with the key its key id names.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use internetwache::crypto::audit_chain::AuditKey;
use internetwache::inbox::keyring::Keyring;
use internetwache::inbox::reading;
use internetwache::inbox::receiver::Receiver;
use internetwache::store::{inbox as store, Db};

use crate::delivery_support::{
    delivered_count_none_dead, free_port, spawn, wait_for, OUTAGE_RETRIES, SECRET,
};
use crate::filing::file_concurrently;
use crate::helpers::{postgres_admin_url, Backend, ServeProcess};
use crate::inbox_processes::{inbox_database, InboxProcess, INBOX_AUDIT_KEY};
use crate::with_both_engines;

/// `internetwache keys generate --state be --out DIR`: the `[[police.be.keys]]` block it
/// prints, and the key id in it.
fn generate_key(dir: &Path) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_internetwache"))
        .args(["keys", "generate", "--state", "be", "--out"])
        .arg(dir)
        .output()
        .expect("run `internetwache keys generate`");
    assert!(output.status.success(), "{output:?}");
    let block = String::from_utf8(output.stdout).expect("utf-8");
    let key_id = block
        .lines()
        .find_map(|l| l.strip_prefix("key_id = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("a key_id line")
        .to_owned();
    (block, key_id)
}

/// The intake's `[police.be]`: the key blocks in order (the last one is sealed to) and push
/// delivery to the inbox on `port`.
fn intake_config(key_blocks: &[&str], port: u16) -> String {
    format!(
        "[police.be]\nops_email = \"ops@polizei.example\"\n{}\n\
         [police.be.delivery]\nmode = \"push\"\nurl = \"http://127.0.0.1:{port}/api/v1/push\"\n\
         secret = \"{SECRET}\"\n",
        key_blocks.join("\n")
    )
}

/// `internetwache serve` on the test app's database with `config`; its data dir is kept
/// across restarts.
async fn start_serve(
    database_url: &str,
    config: &Path,
    data_dir: &Path,
    draft_keys: &str,
) -> ServeProcess {
    let env = [
        ("IW_DATABASE_URL", database_url),
        ("IW_CONFIG", config.to_str().unwrap()),
        ("IW_DATA_DIR", data_dir.to_str().unwrap()),
        ("IW_DRAFT_KEYS", draft_keys),
        ("IW_WORKERS", "2"),
        ("IW_RATE_LIMIT_PER_MINUTE", "0"),
        ("IW_LOG_LEVEL", "warn"),
    ];
    // The inbox is down until the end: the reports must outlast that in the queue.
    let mut serve = ServeProcess::start(&[&env[..], OUTAGE_RETRIES].concat());
    serve.wait_ready().await;
    serve
}

/// `internetwache inbox keys list` with the key directory `keys`.
fn inbox_keys_list(dir: &Path, keys: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_internetwache"))
        .args(["inbox", "keys", "list"])
        .env_clear()
        .env("IW_INBOX_DATA_DIR", dir.join("inbox-data"))
        .env("IW_INBOX_KEY_DIRS", keys)
        .output()
        .expect("run `internetwache inbox keys list`");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

async fn every_report_opens_with_the_key_it_names_across_a_rotation(backend: Backend) {
    if backend == Backend::Postgres && postgres_admin_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("police-keys");
    let port = free_port();
    let (old_block, old_key) = generate_key(&keys);
    // Migrates and seeds the intake database; its own workers stay off.
    let Some(app) = spawn(
        backend,
        Some(&intake_config(&[&old_block], port)),
        &[("IW_WORKERS", "0")],
    )
    .await
    else {
        return;
    };
    let config = app.dir.path().join("internetwache.toml");
    let serve_data = app.dir.path().join("serve-data");
    let draft_keys = internetwache::crypto::AddressKeyring::generate()
        .unwrap()
        .to_spec();

    // The inbox is not running yet: these are sealed to the old key and wait in the queue.
    let mut serve = start_serve(&app.database_url, &config, &serve_data, &draft_keys).await;
    let mut sealed_to_old =
        file_concurrently(&app, &serve.address(), ("be", "hinweis"), 3, 3).await;
    sealed_to_old
        .extend(file_concurrently(&app, &serve.address(), ("be", "fahrraddiebstahl"), 1, 1).await);
    assert_eq!(
        delivered_count_none_dead(&app.state.db).await,
        0,
        "no inbox yet"
    );

    // Rotation: a new key; its private half goes to the inbox's key directory (where
    // `keys generate` writes it), the intake gets it as the newest key and restarts.
    let (new_block, new_key) = generate_key(&keys);
    assert_ne!(old_key, new_key);
    std::fs::write(&config, intake_config(&[&old_block, &new_block], port)).unwrap();
    serve.terminate();
    let serve = start_serve(&app.database_url, &config, &serve_data, &draft_keys).await;
    let sealed_to_new = file_concurrently(&app, &serve.address(), ("be", "hinweis"), 3, 3).await;

    let listed = inbox_keys_list(dir.path(), &keys);
    assert!(
        listed.contains(&old_key) && listed.contains(&new_key),
        "{listed}"
    );

    let (inbox_url, _pg_guard) = inbox_database(backend, dir.path()).await;
    let state = format!(
        "[states.be]\nmode = \"push\"\nsecret = \"{SECRET}\"\nintake_url = \"http://127.0.0.1:9\"\n"
    );
    // Its key directory is `police-keys` in `dir`: both private keys.
    let mut inbox = InboxProcess::start_with(dir.path(), port, &inbox_url, &state);
    inbox.wait_listening(dir.path(), port).await;
    let total = sealed_to_old.len() + sealed_to_new.len();
    wait_for(
        "every report delivered to the inbox",
        Duration::from_secs(120),
        || async { delivered_count_none_dead(&app.state.db).await == total as i64 },
    )
    .await;

    let inbox_db = Db::connect_lazy(&inbox_url.parse().unwrap(), 2).unwrap();
    let rows = store::list(&inbox_db, 0, 1000).await.unwrap();
    assert_eq!(rows.len(), total, "every report arrived once");
    let receiver = Receiver::new(
        inbox_db.clone(),
        Arc::new(Keyring::load_dirs(std::slice::from_ref(&keys)).unwrap()),
        Arc::new(AuditKey::new(INBOX_AUDIT_KEY.as_bytes())),
    );
    for (cases, key) in [(&sealed_to_old, &old_key), (&sealed_to_new, &new_key)] {
        for case in cases {
            let row = rows
                .iter()
                .find(|r| &r.case_number == case)
                .unwrap_or_else(|| panic!("{case} arrived"));
            assert_eq!(
                &row.key_id, key,
                "{case} is sealed to the key current when filed"
            );
            assert_eq!(
                row.unreadable_reason, None,
                "{case} is not \"nicht lesbar\""
            );
            let opened = reading::view(&receiver, "anna", case)
                .await
                .unwrap_or_else(|e| panic!("{case} opens: {e:?}"));
            assert_eq!(opened.document.case_number.as_str(), case.as_str());
        }
    }
}
with_both_engines!(every_report_opens_with_the_key_it_names_across_a_rotation);
