//! Property tests of hostile input against the running service (issue 11): pull-API query
//! strings and admin variant uploads. Each property draws its cases from proptest
//! strategies and sends them over HTTP; no input may give a 5xx.

use std::time::Instant;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::helpers::{spawn_app, Backend, TestApp};
use crate::staff::{add_token, add_user, sign_in, upload_multipart};

/// `n` values drawn from `strategy` with proptest's deterministic runner.
fn draw<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// Query strings: known keys (also repeated), unknown keys, huge numbers and junk bytes.
fn query_string() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("limit".to_owned()),
        Just("cursor".to_owned()),
        Just("status".to_owned()),
        "[a-z%+]{0,6}",
    ];
    let value = prop_oneof![
        "-?[0-9]{0,60}",
        Just("all".to_owned()),
        Just("delivered".to_owned()),
        "[ -~]{0,24}",
        proptest::collection::vec(any::<u8>(), 0..300)
            .prop_map(|b| { url::form_urlencoded::byte_serialize(&b).collect::<String>() }),
    ];
    proptest::collection::vec((key, value), 0..8).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[tokio::test]
async fn pull_api_queries_give_200_or_problem_json_never_5xx() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let token = add_token(&app, "be").await;
    let started = Instant::now();
    let cases = draw(query_string(), 128);
    let mut counts = [0usize; 3];
    for (i, query) in cases.iter().enumerate() {
        let mut req = app.client.get(app.url(&format!("/api/v1/reports?{query}")));
        // Every fourth case goes without the token: 401, whatever the query.
        if i % 4 != 0 {
            req = req.bearer_auth(&token);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        match (i % 4 != 0, status) {
            (true, 200) => counts[0] += 1,
            (true, 400) | (false, 401) => {
                assert!(
                    content_type.starts_with("application/problem+json"),
                    "{query}: {status} {content_type}"
                );
                counts[if status == 400 { 1 } else { 2 }] += 1;
            }
            _ => panic!("query {query:?}: status {status}"),
        }
    }
    eprintln!(
        "pull-API queries: {} cases, {} × 200, {} × 400, {} × 401, none 5xx, in {:.1} s",
        cases.len(),
        counts[0],
        counts[1],
        counts[2],
        started.elapsed().as_secs_f64()
    );
}

/// Uploaded file bytes: TOML-looking lines, broken lines and raw bytes, in any order.
fn upload_bytes() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just(b"id = \"betrug\"\n".to_vec()),
        Just(b"version = 1\n".to_vec()),
        Just(b"extends = \"base/betrug\"\n".to_vec()),
        Just(b"[[steps]]\n".to_vec()),
        Just(b"title = \n".to_vec()),
        Just(b"[[steps.fields]]\nkind = \"zauber\"\n".to_vec()),
        "[ -~]{0,30}\n".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(line, 0..10).prop_map(|l| l.concat())
}

/// Uploads `bytes` as the variant file; the page must come back 200 (never a 5xx).
async fn upload_file(app: &TestApp, bytes: Vec<u8>) -> String {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("variant.toml");
    upload_multipart(app, reqwest::multipart::Form::new().part("file", part)).await
}

#[tokio::test]
async fn variant_uploads_of_any_bytes_answer_200_never_a_5xx() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    add_user(&app, "be-admin", "admin", Some("be")).await;
    sign_in(&app, "be-admin").await;
    let started = Instant::now();
    let cases = draw(upload_bytes(), 64);
    let (mut refused, mut with_lines) = (0, 0);
    for bytes in &cases {
        let page = upload_file(&app, bytes.clone()).await;
        if page.contains("class=\"error-summary\"") {
            refused += 1;
            if page.contains("Zeile ") {
                with_lines += 1;
            }
        }
    }
    // A file broken at a known place names that line.
    let broken = b"id = \"betrug\"\nversion = 1\ntitle = \n".to_vec();
    let page = upload_file(&app, broken).await;
    assert!(page.contains("Zeile 3"), "{page}");
    eprintln!(
        "variant uploads: {} cases, {refused} refused with an error summary ({with_lines} \
         naming a line), none 5xx, in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
}
