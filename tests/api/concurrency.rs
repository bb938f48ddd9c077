//! Reads never wait for writes: while an import's transaction holds the writer, lists, token
//! lookups and task polls answer from the readers (SQLite) or the pool (PostgreSQL); while a
//! build reads and compiles the lexicon, artefact pulls and keyword writes answer.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, expect_json};

/// Enough rows for the write to take seconds, so the reads below surely fall inside it.
const ROWS: usize = 50_000;

#[tokio::test]
async fn reads_answer_while_an_import_holds_its_write_transaction() {
    let app = TestApp::spawn().await;
    let rows: String = (0..ROWS).map(|i| format!("测试词{i:05}\n")).collect();
    let started = app
        .request(Method::POST, "/v1/imports?format=txt&risk=A.1.a")
        .body(rows)
        .send()
        .await
        .expect("POST import");
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    expect_json(started, StatusCode::ACCEPTED).await;
    // The write stage begins once its transaction is open; it then takes seconds.
    let mut writing = false;
    for _ in 0..2000 {
        let task = expect_json(app.get(&location).await, StatusCode::OK).await;
        assert_ne!(
            task["status"], "succeeded",
            "the import ended before its write was seen"
        );
        if task["stage"] == "write" {
            writing = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(writing, "the import never reached its write stage");

    let listed = expect_json(app.get("/v1/keywords?limit=5").await, StatusCode::OK).await;
    let me = expect_json(app.get("/v1/me").await, StatusCode::OK).await;
    let risks = expect_json(app.get("/v1/risks").await, StatusCode::OK).await;
    let task = expect_json(app.get(&location).await, StatusCode::OK).await;
    assert_eq!(
        task["status"], "processing",
        "the reads answered while the import was still writing: {task}"
    );
    // All or nothing: none of the import's rows is visible before it commits.
    assert_eq!(listed["items"], json!([]));
    assert_eq!(me["role"], "admin");
    assert_eq!(risks["items"].as_array().map(Vec::len), Some(31));

    // A debug build writes a few thousand rows a second: wait longer than `wait_for_task` does.
    for _ in 0..1200 {
        let task = expect_json(app.get(&location).await, StatusCode::OK).await;
        if task["status"] == "succeeded" {
            assert_eq!(task["result"]["accepted"], json!(ROWS));
            return;
        }
        assert_ne!(task["status"], "failed", "{task}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

#[tokio::test]
async fn pulls_and_other_writes_answer_while_a_build_reads_and_compiles() {
    let app = TestApp::spawn_without_four_eyes().await;
    app.approved_keyword("先前词", "A.1.a", "block").await;
    let first = app.build().await;
    let artifact = format!("/v1/builds/{first}/artifact");
    let pulled = app.get(&artifact).await;
    assert_eq!(pulled.status(), StatusCode::OK);
    let etag = pulled.headers()["etag"].to_str().unwrap().to_owned();
    // A lexicon large enough for the next build to take a while in a debug build.
    let rows: String = (0..ROWS).map(|i| format!("构建词{i:05}\n")).collect();
    let report = app
        .import("format=txt&risk=A.1.a&status=approved", rows.into_bytes())
        .await;
    assert_eq!(report["accepted"], json!(ROWS));

    let started = app
        .request(Method::POST, "/v1/builds")
        .send()
        .await
        .expect("POST build");
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    expect_json(started, StatusCode::ACCEPTED).await;
    let mut running = false;
    for _ in 0..2000 {
        let task = expect_json(app.get(&location).await, StatusCode::OK).await;
        assert_ne!(
            task["status"], "succeeded",
            "the build ended before it was seen running"
        );
        if task["status"] == "processing" {
            running = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(running, "the build never started");
    let full = app.get(&artifact).await;
    let unchanged = app
        .request(Method::GET, &artifact)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("GET artifact");
    let created = app.create_keyword("构建中新词", "A.1.b").await;
    let task = expect_json(app.get(&location).await, StatusCode::OK).await;
    assert_eq!(
        task["status"], "processing",
        "the pulls and the write answered while the build was still running: {task}"
    );
    assert_eq!(full.status(), StatusCode::OK);
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(created["term"], "构建中新词");
    app.wait_for_task(&location).await;
}
