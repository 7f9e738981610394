//! The CLI against the library: keys generate → seal in-process → clerk decrypt.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, Utc};
use internetwache::crypto::keys::{load_private_key, load_public_key};
use internetwache::crypto::{Envelope, EnvelopeMetadata, PolicePublicKey};
use internetwache::reports::case_number::CaseNumber;
use internetwache::reports::document::{Answer, FormRef, ReportDocument, SCHEMA};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_internetwache"))
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn binary");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or_default())
        .expect("write stdin");
    drop(pipe);
    child.wait_with_output().expect("wait")
}

fn generate(dir: &Path) -> (PathBuf, PolicePublicKey, String) {
    let out = run(
        &[
            "keys",
            "generate",
            "--state",
            "be",
            "--out",
            dir.to_str().expect("utf8"),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "keys generate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let mut private = None;
    let mut public = None;
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.ends_with(".private.json") {
            private = Some(path);
        } else if name.ends_with(".public.json") {
            public = Some(load_public_key(&path).expect("public key"));
        }
    }
    (
        private.expect("private key file"),
        public.expect("public key file"),
        stdout,
    )
}

fn document(case_number: CaseNumber) -> ReportDocument {
    ReportDocument {
        schema: SCHEMA.into(),
        case_number,
        state: "be".into(),
        form: FormRef {
            id: "fahrraddiebstahl".into(),
            version: 2,
            content_hash: "cd".repeat(32),
            title: "Fahrraddiebstahl".into(),
            titles: Default::default(),
        },
        submitted_at: DateTime::parse_from_rfc3339("2026-11-28T18:00:00Z")
            .expect("date")
            .with_timezone(&Utc),
        language: "de".into(),
        office: None,
        answers: vec![Answer {
            step_id: "tat".into(),
            step_title: "Tat".into(),
            field_id: "ort".into(),
            label: "Tatort".into(),
            value: serde_json::json!("Warschauer Straße 5"),
            display: "Warschauer Straße 5".into(),
            columns: Vec::new(),
        }],
        attachments: vec![],
        client: None,
    }
}

fn seal(pk: &PolicePublicKey, doc: &ReportDocument) -> (Envelope, Vec<u8>) {
    let meta = EnvelopeMetadata {
        case_number: doc.case_number.clone(),
        state: doc.state.clone(),
        recipient_key_id: pk.key_id.clone(),
        form_id: doc.form.id.clone(),
        form_version: doc.form.version,
        form_content_hash: doc.form.content_hash.clone(),
        submitted_at: doc.submitted_at,
        office_id: None,
    };
    let plaintext = doc.to_json_bytes().expect("json");
    (
        Envelope::seal(&meta, pk, &plaintext).expect("seal"),
        plaintext,
    )
}

#[test]
fn generate_seal_decrypt_tamper_wrong_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys_dir = dir.path().join("keys");
    let (private, public, snippet) = generate(&keys_dir);
    assert_eq!(
        snippet,
        format!(
            "[[police.be.keys]]\nkey_id = \"{}\"\npublic_key = \"{}\"\n",
            public.key_id,
            public.public_base64()
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let doc = document(CaseNumber::generate("be").expect("case number"));
    let (envelope, plaintext) = seal(&public, &doc);
    let env_path = dir.path().join("report.json");
    std::fs::write(&env_path, envelope.to_json()).expect("write envelope");
    let key = private.to_str().expect("utf8");
    let env_arg = env_path.to_str().expect("utf8");

    // Exact bytes.
    let out = run(&["clerk", "decrypt", "--key", key, "--raw", env_arg], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, plaintext);

    // Pretty JSON from standard input, same document.
    let out = run(
        &["clerk", "decrypt", "--key", key, "-"],
        Some(envelope.to_json().as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
    let expected: serde_json::Value = serde_json::from_slice(&plaintext).expect("json");
    assert_eq!(printed, expected);

    // Text.
    let out = run(&["clerk", "decrypt", "--key", key, "--text", env_arg], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert_eq!(text, doc.to_text());
    assert!(text.contains("Tatort: Warschauer Straße 5"));

    // Tampered ciphertext: exit 1, one clear line.
    let mut tampered = envelope.clone();
    let mut chars: Vec<char> = tampered.ciphertext.chars().collect();
    chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
    tampered.ciphertext = chars.into_iter().collect();
    let out = run(
        &["clerk", "decrypt", "--key", key],
        Some(tampered.to_json().as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: decryption failed: wrong key or the data was altered"),
        "{err}"
    );
    assert!(!err.contains("Warschauer"));

    // Tampered metadata.
    let mut meta = envelope.metadata().expect("meta");
    meta.form_version = 3;
    let mut moved = envelope.clone();
    use base64::Engine;
    moved.aad = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&meta).expect("json"));
    let out = run(
        &["clerk", "decrypt", "--key", key],
        Some(moved.to_json().as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong key or the data was altered"));

    // Another state's key: refused by key id.
    let (other_private, _, _) = generate(&dir.path().join("other"));
    let out = run(
        &[
            "clerk",
            "decrypt",
            "--key",
            other_private.to_str().expect("utf8"),
            env_arg,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("was sealed to key"), "{err}");

    // A different secret under the right key id: refused by the AEAD.
    let forged_dir = dir.path().join("forged");
    std::fs::create_dir_all(&forged_dir).expect("dir");
    let other = load_private_key(&other_private).expect("other key");
    let text = std::fs::read_to_string(&other_private)
        .expect("read")
        .replace(&other.key_id, &public.key_id);
    let forged = forged_dir.join("forged.private.json");
    std::fs::write(&forged, text).expect("write");
    let out = run(
        &[
            "clerk",
            "decrypt",
            "--key",
            forged.to_str().expect("utf8"),
            env_arg,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong key or the data was altered"));

    // Not an envelope.
    let out = run(&["clerk", "decrypt", "--key", key], Some(b"{\"hello\":1}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: malformed envelope"));
}

/// The test vector in the README's envelope specification must keep opening.
#[test]
fn documented_test_vector_opens() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("## Report envelope specification")
        .expect("README has the envelope specification");
    let end = readme[start..]
        .find("## Delivery protocol")
        .map_or(readme.len(), |e| start + e);
    let doc = &readme[start..end];
    let blocks: Vec<&str> = doc
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("```").next().expect("closing fence"))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = dir.path().join("key.private.json");
    std::fs::write(&key_path, blocks[1]).expect("write key");
    let key = load_private_key(&key_path).expect("documented key");
    let json = blocks[2].trim_end();
    let envelope = Envelope::from_json(json).expect("documented envelope");
    assert_eq!(envelope.to_json(), json);
    assert_eq!(
        envelope.sha256_hex(),
        "b182a0be0352698dd5cea8740ee4d8b977b36d4dc4ecb782d0bdaa7a673544a1"
    );
    let plaintext = envelope.open_with(&key).expect("opens");
    let report = ReportDocument::from_json_bytes(&plaintext).expect("report");
    assert_eq!(plaintext.len(), 686);
    assert_eq!(
        report.case_number,
        envelope.metadata().expect("meta").case_number
    );
    assert_eq!(report.case_number.as_str(), "BE-N83U-T4GB-C3G6-E");
}
