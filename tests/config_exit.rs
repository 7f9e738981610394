//! The binary refuses bad settings with exit status 2 and a one-line message.

use std::process::Command;

fn run(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_internetwache"))
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

#[test]
fn invalid_bind_exits_2_naming_the_setting() {
    let out = run(&[("IW_BIND", "nonsense")], &["serve"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("IW_BIND"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn invalid_database_url_exits_2() {
    let out = run(&[("IW_DATABASE_URL", "mysql://x")], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IW_DATABASE_URL"));
}

#[test]
fn help_describes_each_subcommand() {
    let out = run(&[], &["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "migrate"] {
        assert!(help.contains(cmd), "{help}");
    }
}

/// With only `IW_DATA_DIR` set, the database and the mail files land inside it, not in
/// `./var` of the working directory.
#[test]
fn database_and_mail_follow_the_data_dir() {
    let cwd = tempfile::tempdir().unwrap();
    let forms = concat!(env!("CARGO_MANIFEST_DIR"), "/forms");
    let mut child = Command::new(env!("CARGO_BIN_EXE_internetwache"))
        .arg("serve")
        .current_dir(cwd.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs([
            ("IW_DATA_DIR", "data"),
            ("IW_BIND", "127.0.0.1:0"),
            ("IW_FORMS_DIR", forms),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("binary runs");
    let data = cwd.path().join("data");
    let wanted = [data.join("internetwache.db"), data.join("mail")];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let found = loop {
        if wanted.iter().all(|p| p.exists()) {
            break true;
        }
        if std::time::Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(found, "expected {wanted:?} under IW_DATA_DIR");
    assert!(
        !cwd.path().join("var").exists(),
        "nothing may land in ./var"
    );
}
