use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_json};

#[tokio::test]
async fn health_and_ready_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(
        expect_json(app.get("/health").await, StatusCode::OK).await,
        json!({"status": "ok"})
    );
    assert_eq!(
        expect_json(app.get("/ready").await, StatusCode::OK).await,
        json!({"status": "ready"})
    );
}

#[tokio::test]
async fn the_served_spec_is_the_committed_one() {
    let app = TestApp::spawn().await;
    let served = expect_json(app.get("/openapi.json").await, StatusCode::OK).await;
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .expect("openapi/openapi.json is committed");
    assert!(
        committed == lexset::http::openapi::spec_json(),
        "openapi/openapi.json is out of date: run `cargo run -p lexset -- openapi > openapi/openapi.json`"
    );
    let committed: Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(served, committed);
    for path in [
        "/v1/keywords",
        "/v1/keywords/{id}",
        "/v1/questions/{id}/revisions",
        "/v1/risks",
    ] {
        assert!(served["paths"].get(path).is_some(), "{path} is documented");
    }
}

#[tokio::test]
async fn the_docs_page_works_without_internet() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = app.get("/docs/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets: {html}"
    );
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let response = app.get(asset).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{asset} is served from the binary"
        );
    }
    let initializer = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
}

#[tokio::test]
async fn metrics_count_requests_tasks_and_rows_without_a_token() {
    let app = TestApp::spawn().await;
    app.create_keyword("法轮功", "A.1.a").await;
    app.import("format=txt&risk=A.1.a", "甲词\n乙词\n".into())
        .await;
    app.build().await;
    let response = app
        .request_with(None, reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for needle in [
        r#"lexset_http_requests_total{route="/v1/keywords",method="POST",status="201"}"#,
        r#"lexset_http_request_duration_seconds_bucket{route="/v1/keywords",method="POST","#,
        r#"lexset_tasks_total{kind="import",outcome="succeeded"}"#,
        r#"lexset_tasks_total{kind="build",outcome="succeeded"}"#,
        r#"lexset_task_duration_seconds_bucket{kind="build",outcome="succeeded","#,
        r#"lexset_import_rows_total{outcome="accepted"}"#,
        "lexset_build_artifact_bytes_bucket{",
        r#"lexset_store_write_wait_seconds_bucket{entry_kind="keyword","#,
        r#"lexset_store_connections{pool=""#,
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}
