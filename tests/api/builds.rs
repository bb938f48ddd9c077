//! Builds: compile, publish, download, diff and match.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, expect_json};

async fn seed(app: &TestApp) {
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    app.approved_keyword("大麻", "A.1.f", "block").await;
    app.approved_keyword("大麻烦", "A.1.f", "allow").await;
    app.approved_keyword("枪+出售", "A.1.f", "all_of").await;
    app.create_keyword("台独", "A.1.c").await; // a draft: not in the build
}

fn terms(hits: &Value) -> Vec<&str> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| h["term"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_build_publishes_the_approved_lexicon_and_matches_through_folding() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let number = app.build().await;
    assert_eq!(number, 1);
    let build = expect_json(app.get("/v1/builds/1").await, StatusCode::OK).await;
    assert_eq!(build["status"], "published");
    assert_eq!(build["counts"]["total"], 4);
    assert_eq!(
        build["counts"]["by_kind"],
        json!({"all_of": 1, "allow": 1, "block": 2})
    );
    assert_eq!(build["fold_profile_id"], "lexset-fold-1");
    assert_eq!(build["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(build["coverage"]["profile"], "tc260-003-2024");
    let latest = expect_json(app.get("/v1/builds/latest").await, StatusCode::OK).await;
    assert_eq!(latest["number"], 1);

    let text = "他在卖法 輪 功的书，真是大麻烦，出售一把槍，台独";
    let response = app
        .post_json("/v1/builds/1/match", &json!({ "text": text }))
        .await;
    let result = expect_json(response, StatusCode::OK).await;
    let hits = &result["hits"];
    assert_eq!(
        terms(hits),
        ["法轮功", "枪+出售"],
        "大麻 inside 大麻烦 is allowed; drafts are not built"
    );
    let span = &hits[0]["span"];
    let (start, end) = (
        span["byte_start"].as_u64().unwrap() as usize,
        span["byte_end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "法 輪 功");
    assert_eq!(
        (&span["char_start"], &span["char_end"]),
        (&json!(3), &json!(8))
    );
    assert_eq!(hits[0]["risks"], json!(["A.1.a"]));
    assert_eq!(hits[1]["kind"], "all_of");
    assert_eq!(hits[1]["parts"].as_array().unwrap().len(), 2);
    assert!(
        hits[0].get("parts").is_none(),
        "single keywords have no parts"
    );
}

#[tokio::test]
async fn the_artefact_downloads_once_and_loads_in_the_embedded_library() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let number = app.build().await;
    let response = app.get(&format!("/v1/builds/{number}/artifact")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        response.headers()["cache-control"],
        "private, max-age=31536000, immutable"
    );
    let bytes = response.bytes().await.unwrap();
    let build = expect_json(
        app.get(&format!("/v1/builds/{number}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(etag, format!("\"{}\"", build["sha256"].as_str().unwrap()));
    assert_eq!(
        lexset_filter::checksum::sha256_hex(&bytes),
        build["sha256"].as_str().unwrap()
    );

    let again = app
        .request(Method::GET, &format!("/v1/builds/{number}/artifact"))
        .header("If-None-Match", etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());

    let filter = lexset_filter::Filter::load(&bytes).expect("the artefact loads");
    assert_eq!(filter.header().build_number, number as u64);
    let hits = filter.find("ＦＡ法輪功");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].term, "法轮功");
}

#[tokio::test]
async fn a_diff_lists_added_removed_and_recategorised_rules() {
    let app = TestApp::spawn().await;
    let dropped = app.approved_keyword("黄片", "A.1.f", "block").await;
    let moved = app.approved_keyword("台独", "A.1.a", "block").await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let first = app.build().await;

    app.approved_keyword("藏独", "A.1.c", "block").await;
    expect_json(
        app.retire(&format!("/v1/keywords/{}", dropped["id"]), 2)
            .await,
        StatusCode::OK,
    )
    .await;
    let path = format!("/v1/keywords/{}", moved["id"]);
    expect_json(
        app.patch_json(&path, 2, &json!({"risk": "A.1.c"})).await,
        StatusCode::OK,
    )
    .await;
    // The edit sent it back to review; approved again, it moves in the next build.
    app.approve(&path, 3).await;
    let second = app.build().await;
    assert_eq!(second, first + 1);

    let diff = expect_json(
        app.get(&format!("/v1/builds/{first}/diff/{second}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(terms(&diff["added"]), ["藏独"]);
    assert_eq!(terms(&diff["removed"]), ["黄片"]);
    let recategorised = &diff["recategorised"][0];
    assert_eq!(recategorised["term"], "台独");
    assert_eq!(recategorised["from_risks"], json!(["A.1.a"]));
    assert_eq!(recategorised["to_risks"], json!(["A.1.c"]));
    assert_eq!(diff["recategorised"].as_array().unwrap().len(), 1);

    let history = expect_json(app.get("/v1/coverage/history").await, StatusCode::OK).await;
    let points = history["items"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0]["build"], first);
    assert_eq!(points[0]["gaps"]["KW-TOTAL"], 10_000 - 3);
    assert_eq!(points[1]["gaps"]["KW-TOTAL"], 10_000 - 3);
    assert_eq!(points[1]["gaps"]["KW-A1"], 200 * 8 - 3);
}

#[tokio::test]
async fn concurrent_build_requests_get_distinct_numbers() {
    let app = TestApp::spawn().await;
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let (a, b, c) = tokio::join!(app.build(), app.build(), app.build());
    let mut numbers = vec![a, b, c];
    numbers.sort();
    assert_eq!(numbers, [1, 2, 3]);
    let list = expect_json(app.get("/v1/builds").await, StatusCode::OK).await;
    let listed: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["number"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [3, 2, 1]);
    // Newest-first lists are capped like every list.
    let newest = expect_json(app.get("/v1/builds?limit=1").await, StatusCode::OK).await;
    assert_eq!(newest["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(newest["items"][0]["number"], 3);
    let history = expect_json(
        app.get("/v1/coverage/history?limit=2").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history["items"].as_array().map(Vec::len), Some(2));
    for path in [
        "/v1/builds?limit=0",
        "/v1/builds/1/evaluations?limit=1001",
        "/v1/coverage/history?limit=x",
        "/v1/tokens?limit=0",
    ] {
        expect_error(
            app.get(path).await,
            StatusCode::BAD_REQUEST,
            "invalid_limit",
            "1 to 1000",
        )
        .await;
    }
}

#[tokio::test]
async fn missing_builds_and_bad_match_requests_are_named() {
    let app = TestApp::spawn().await;
    expect_error(
        app.get("/v1/builds/latest").await,
        StatusCode::NOT_FOUND,
        "build_not_found",
        "no build",
    )
    .await;
    for path in [
        "/v1/builds/9",
        "/v1/builds/9/artifact",
        "/v1/builds/9/diff/10",
    ] {
        expect_error(
            app.get(path).await,
            StatusCode::NOT_FOUND,
            "build_not_found",
            "9",
        )
        .await;
    }
    expect_error(
        app.get("/v1/tasks/9").await,
        StatusCode::NOT_FOUND,
        "task_not_found",
        "9",
    )
    .await;
    let number = app.build().await;
    let path = format!("/v1/builds/{number}/match");
    expect_error(
        app.post_json(&path, &json!({})).await,
        StatusCode::BAD_REQUEST,
        "invalid_text",
        "required",
    )
    .await;
    expect_error(
        app.post_json(&path, &json!({"text": 5})).await,
        StatusCode::BAD_REQUEST,
        "invalid_text",
        "invalid type",
    )
    .await;
    // Past the text cap a clear 400; past the body cap a 413 (neither reaches the matcher).
    let long = "法".repeat(100_001);
    expect_error(
        app.post_json(&path, &json!({ "text": long })).await,
        StatusCode::BAD_REQUEST,
        "invalid_text",
        "at most 100000",
    )
    .await;
    let at_cap = "法".repeat(100_000);
    expect_json(
        app.post_json(&path, &json!({ "text": at_cap })).await,
        StatusCode::OK,
    )
    .await;
    let huge = "a".repeat(2 * 1024 * 1024);
    expect_error(
        app.post_json(&path, &json!({ "text": huge })).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "",
    )
    .await;
    let empty = expect_json(
        app.post_json(&path, &json!({"text": "法轮功"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(empty["hits"], json!([]), "an empty lexicon matches nothing");
    let missing = app
        .post_json("/v1/builds/77/match", &json!({"text": "x"}))
        .await;
    expect_error(missing, StatusCode::NOT_FOUND, "build_not_found", "77").await;
}
