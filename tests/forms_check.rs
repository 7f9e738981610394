//! `internetwache forms check`: every fault is reported with its file and line.

use std::path::Path;
use std::process::Command;

const BASE: &str = r#"id = "demo"
version = 1
category = "demo"
title = { de = "Demo", en = "Demo" }
help = { de = "Hilfe", en = "Help" }

[[steps]]
use = "shared/kontakt"

[[steps]]
id = "tat"
title = { de = "Tat", en = "Offence" }

[[steps.fields]]
id = "art"
type = "radio"
label = { de = "Art", en = "Kind" }
options = [
  { value = "a", label = { de = "A", en = "A" } },
  { value = "b", label = { de = "B", en = "B" } },
]

[[steps.fields]]
id = "details"
type = "text"
max_length = 100
pattern = "[a-z ]+"
show_if = { field = "art", equals = "b" }
label = { de = "Details", en = "Details" }

[[steps.fields]]
id = "anzahl"
type = "number"
min = 1
max = 10
label = { de = "Anzahl", en = "Count" }
exit_if = [{ equals = "10", referral = { title = { de = "T", en = "T" }, body = { de = "B", en = "B" } } }]
"#;

const SHARED: &str = r#"id = "kontakt"
title = { de = "Kontakt", en = "Contact" }

[[fields]]
id = "email"
type = "email"
required = true
role = "reporter_email"
label = { de = "E-Mail", en = "E-mail" }
"#;

const STATE: &str = r#"name = { de = "Testland", en = "Testland" }
categories = ["demo"]
privacy_url = "https://example.org/datenschutz"
accessibility_url = "https://example.org/barrierefreiheit"
postal_codes = ["10000-19999"]

[central_office]
id = "zentrale"
name = "Zentrale"
address = "Weg 1, 10000 Stadt"
phone = "+49 30 123456"
email = "zentrale@example.org"
web = "https://example.org"

[[offices]]
id = "nord"
name = "Nord"
address = "Weg 2, 11000 Stadt"
phone = "+49 30 123457"

[[routing]]
postal_codes = ["11000-11999"]
office = "nord"
"#;

const VARIANT: &str = r#"id = "demo"
version = 1
extends = "base/demo"

[[patch]]
field = "details"
max_length = 50

[[add_fields]]
step = "tat"
id = "extra"
type = "yes_no"
label = { de = "Extra", en = "Extra" }
"#;

const FILES: [(&str, &str); 4] = [
    ("base/demo.toml", BASE),
    ("shared/kontakt.toml", SHARED),
    ("xx/state.toml", STATE),
    ("xx/demo.toml", VARIANT),
];

fn check(dir: &Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_internetwache"))
        .args(["forms", "check"])
        .arg(dir)
        .output()
        .expect("run binary");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Writes the minimal tree with `old` replaced by `new` in `file`.
fn tree(file: &str, old: &str, new: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (path, content) in FILES {
        let full = tmp.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        let content = if path == file {
            assert!(content.contains(old), "fixture lacks {old:?}");
            content.replacen(old, new, 1)
        } else {
            content.to_string()
        };
        std::fs::write(full, content).unwrap();
    }
    tmp
}

#[test]
fn the_minimal_tree_is_valid() {
    let tmp = tree("base/demo.toml", "", "");
    let (ok, out) = check(tmp.path());
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "checked 4 files, 1 variants, 1 states");
}

#[test]
fn each_fault_is_reported_at_its_file_and_line() {
    #[rustfmt::skip]
    let faults: &[(&str, &str, &str, usize, &str)] = &[
        ("base/demo.toml", r#"en = "Demo" }"#, "en = }", 4, ""),
        ("base/demo.toml", r#"label = { de = "Art""#, r#"lable = { de = "Art""#, 17, "unknown field `lable`"),
        ("base/demo.toml", r#"field = "art", equals"#, r#"field = "artt", equals"#, 28, "unknown field `artt`"),
        ("base/demo.toml", r#"exit_if = [{ equals = "10","#, r#"exit_if = [{ when = { field = "nix", set = true },"#, 37, "unknown field `nix`"),
        ("base/demo.toml", "id = \"tat\"", "id = \"kontakt\"", 11, "duplicate step id `kontakt`"),
        ("base/demo.toml", "id = \"anzahl\"", "id = \"details\"", 32, "duplicate field id `details`"),
        ("base/demo.toml", r#"{ value = "a""#, r#"{ value = "b""#, 20, "duplicate option value `b`"),
        ("base/demo.toml", r#"en = "Details""#, r#"en = """#, 29, "missing translation: `en`"),
        ("base/demo.toml", r#"pattern = "[a-z ]+""#, r#"pattern = "[a-z""#, 27, "invalid regex pattern"),
        ("base/demo.toml", r#"type = "text""#, r#"type = "txt""#, 25, "unknown field type `txt`"),
        ("base/demo.toml", "min = 1", "min = 20", 34, "min (20) is greater than max (10)"),
        ("base/demo.toml", r#"type = "number""#, "type = \"number\"\npattern = \"x\"", 34, "`pattern` does not apply to type `number`"),
        ("shared/kontakt.toml", r#"en = "E-mail""#, r#"en = " ""#, 9, "missing translation: `en`"),
        ("xx/demo.toml", r#"extends = "base/demo""#, "extends = \"base/demo\"\nremove_fields = [\"nope\"]", 4, "remove_fields: unknown field `nope`"),
        ("xx/demo.toml", r#"field = "details""#, r#"field = "detials""#, 6, "patch: unknown field `detials`"),
        ("xx/demo.toml", r#"base/demo""#, r#"base/nemo""#, 3, "`extends` target `base/nemo` does not exist"),
        ("xx/demo.toml", "max_length = 50", "max_length = 500", 7, "widening `max_length`"),
        ("xx/demo.toml", r#"type = "yes_no""#, r#"type = "yes_no"
show_if = { field = "art", equals = "c" }"#, 13, "not one of its options"),
        ("xx/state.toml", r#"categories = ["demo"]"#, r#"categories = ["demo", "nix"]"#, 2, "category `nix` names no form"),
        ("xx/state.toml", r#"["11000-11999"]"#, r#"["11000-1199"]"#, 22, "invalid postal code range `11000-1199`"),
        ("xx/state.toml", r#"office = "nord""#, r#"office = "sued""#, 23, "unknown office `sued`"),
        ("xx/state.toml", r#"["11000-11999"]"#, r#"["20000-20999"]"#, 22, "outside the state's postal codes"),
        ("xx/state.toml", "phone = \"+49 30 123457\"", "phone = \"+49 30 123457\"\nfax = \"1\"", 20, "unknown field `fax`"),
    ];
    assert!(faults.len() >= 12);
    for (file, old, new, line, message) in faults {
        let tmp = tree(file, old, new);
        let (ok, out) = check(tmp.path());
        assert!(!ok, "{file}: {new:?} passed");
        let location = format!("{}:{line}: ", tmp.path().join(file).display());
        let hit = out
            .lines()
            .any(|l| l.starts_with(&location) && l.contains(message));
        assert!(
            hit,
            "expected `{location}...{message}` for {new:?}, got:\n{out}"
        );
    }
}

#[test]
fn the_shipped_forms_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    let (ok, out) = check(&dir);
    assert!(ok, "{out}");
    assert!(out.starts_with("checked "), "{out}");
    assert!(out.contains("21 variants, 3 states"), "{out}");
}

#[test]
fn a_missing_directory_fails() {
    let (ok, out) = check(Path::new("/nonexistent/forms"));
    assert!(!ok);
    assert!(
        out.contains("/nonexistent/forms:1: not a directory"),
        "{out}"
    );
}
