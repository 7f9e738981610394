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
