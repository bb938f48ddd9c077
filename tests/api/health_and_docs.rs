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
