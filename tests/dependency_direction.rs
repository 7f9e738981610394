//! Dependencies point one way: routes → domain → store and crypto. Only the application's
//! assembly (`startup`, `cli`, `main`) may name `startup`, and only `startup` (and the route
//! table itself) may name `routes`. This scan keeps it that way.

use std::path::{Path, PathBuf};

/// (module path as written in code, files allowed to name it)
const RULES: &[(&str, &[&str])] = &[
    (
        "crate::startup",
        &["src/startup.rs", "src/cli/", "src/main.rs"],
    ),
    ("crate::routes", &["src/startup.rs", "src/routes/"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `file:line: names module` for every forbidden mention in one file.
fn violations(relative: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (module, allowed) in RULES {
        if allowed.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let names_it = code.match_indices(module).any(|(at, _)| {
                // `crate::routes` must not also match `crate::routes_x`.
                let next = code[at + module.len()..].chars().next();
                !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if names_it {
                found.push(format!("{relative}:{}: names {module}", n + 1));
            }
        }
    }
    found
}

#[test]
fn nothing_below_the_application_imports_startup_or_routes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under src/",
        files.len()
    );
    let mut all = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(root)
            .expect("under the manifest dir")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).expect("source is UTF-8");
        all.extend(violations(&relative, &text));
    }
    assert!(
        all.is_empty(),
        "dependencies must point routes → domain → store; these files reach up:\n{}",
        all.join("\n")
    );
}

#[test]
fn the_scan_catches_a_domain_module_reaching_up() {
    let text = "use crate::store::Db;\nuse crate::startup::AppState;\nfn f() { crate::routes::configure; }\n";
    assert_eq!(
        violations("src/reports/submission.rs", text),
        vec![
            "src/reports/submission.rs:2: names crate::startup",
            "src/reports/submission.rs:3: names crate::routes",
        ]
    );
    assert!(violations("src/startup.rs", text).is_empty());
    assert!(violations("src/store/x.rs", "use crate::routes_table;").is_empty());
}
