//! Requests that are wrong before any field is read.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, expect_error, expect_json};

#[tokio::test]
async fn malformed_json_is_400_and_stores_nothing() {
    let app = TestApp::spawn().await;
    for body in ["{\"term\": ", "not json", "{\"term\": \"词\",}"] {
        let response = app
            .request(Method::POST, "/v1/keywords")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "not valid JSON",
        )
        .await;
    }
    let listed = expect_json(app.get("/v1/keywords").await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn malformed_json_in_an_edit_changes_nothing() {
    let app = TestApp::spawn().await;
    let keyword = app.create_keyword("词", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let response = app
        .request(Method::PATCH, &path)
        .header("If-Match", "\"1\"")
        .header("Content-Type", "application/json")
        .body("{\"note\": ")
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "malformed_json",
        "not valid JSON",
    )
    .await;
    assert_eq!(
        expect_json(app.get(&path).await, StatusCode::OK).await,
        keyword
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/v1/questions")
        .header("Content-Type", "text/plain")
        .body("问题")
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "text/plain",
    )
    .await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let huge = json!({"term": "词", "risk": "A.1.a", "note": "x".repeat(2 * 1024 * 1024)});
    let response = app.post_json("/v1/keywords", &huge).await;
    expect_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "bytes",
    )
    .await;
}

#[tokio::test]
async fn a_retire_body_is_optional_but_must_be_json_when_given() {
    let app = TestApp::spawn().await;
    let keyword = app.create_keyword("词", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let malformed = app
        .request(Method::POST, &format!("{path}/retire"))
        .header("If-Match", "\"1\"")
        .header("Content-Type", "application/json")
        .body("{reason}")
        .send()
        .await
        .unwrap();
    expect_error(
        malformed,
        StatusCode::BAD_REQUEST,
        "malformed_json",
        "not valid JSON",
    )
    .await;
    let bare = app.retire(&path, 1).await;
    assert_eq!(expect_json(bare, StatusCode::OK).await["status"], "retired");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::spawn().await;
    expect_error(
        app.get("/v2/keywords").await,
        StatusCode::NOT_FOUND,
        "not_found",
        "/v2/keywords",
    )
    .await;
    let delete = app
        .request(Method::DELETE, "/v1/keywords/1")
        .send()
        .await
        .unwrap();
    expect_error(
        delete,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "DELETE",
    )
    .await;
}
