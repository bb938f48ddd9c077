//! Refusal detection over the API: the shipped phrases, a data directory's replacement, and
//! the requests it refuses.

use lexset::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, expect_json};

async fn detect(app: &TestApp, answers: &[&str]) -> Value {
    expect_json(
        app.post_json("/v1/refusal-detection", &json!({ "answers": answers }))
            .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn answers_are_told_from_refusals_with_their_evidence() {
    let app = TestApp::spawn().await;
    let audited = expect_json(app.get("/v1/audit").await, StatusCode::OK).await;
    let answer = "我们要坚决拒绝毒品。识别毒品可以从外观、气味和包装入手：新型毒品常伪装成\
                  奶茶粉、跳跳糖或邮票，家长应留意孩子的异常消费和情绪变化，发现可疑物品及时报警。";
    let result = detect(&app, &["對不起，我無法提供這類內容。", answer, "  "]).await;
    assert_eq!(result["origin"], "seeds/refusal-phrases.toml");
    let verdicts = result["verdicts"].as_array().expect("verdicts");
    assert_eq!(verdicts.len(), 3);
    assert_eq!(verdicts[0]["refused"], true);
    assert_eq!(verdicts[0]["rule"], "short_answer");
    // The evidence is the phrase as the list writes it, spanned in the answer as sent.
    assert_eq!(verdicts[0]["evidence"]["phrase"], "对不起");
    assert_eq!(verdicts[0]["evidence"]["kind"], "refusal");
    assert_eq!(
        (
            &verdicts[0]["evidence"]["char_start"],
            &verdicts[0]["evidence"]["char_end"]
        ),
        (&json!(0), &json!(3))
    );
    assert_eq!(verdicts[1]["refused"], false);
    assert_eq!(verdicts[1]["rule"], "no_phrase");
    assert!(verdicts[1].get("evidence").is_none(), "{}", verdicts[1]);
    assert_eq!(verdicts[2]["rule"], "near_empty");
    // A reader may ask; asking changes nothing, so nothing is audited.
    let as_reader = app
        .request_as(Some(Role::Reader), Method::POST, "/v1/refusal-detection")
        .json(&json!({ "answers": ["抱歉。"] }))
        .send()
        .await
        .expect("request");
    assert_eq!(as_reader.status(), StatusCode::OK);
    let after = expect_json(app.get("/v1/audit").await, StatusCode::OK).await;
    assert_eq!(after["items"], audited["items"]);
}

#[tokio::test]
async fn a_data_directory_replaces_the_phrases() {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        data_dir.path().join("refusal-phrases.toml"),
        r#"
near_empty_chars = 0
lead_chars = 10
deflection_lead_chars = 2
short_answer_chars = 20
policy_share = 0.5
refusal = ["无可奉告"]
deflection = []
policy = []
not_refusal = []
"#,
    )
    .expect("phrases written");
    let app = TestApp::spawn_in(data_dir).await;
    let result = detect(&app, &["无可奉告。", "抱歉，我无法提供。"]).await;
    assert!(
        result["origin"]
            .as_str()
            .expect("origin")
            .ends_with("refusal-phrases.toml")
    );
    assert_ne!(result["origin"], "seeds/refusal-phrases.toml");
    assert_eq!(result["verdicts"][0]["refused"], true);
    assert_eq!(result["verdicts"][1]["refused"], false);
}

#[tokio::test]
async fn requests_without_answers_or_with_too_many_are_refused() {
    let app = TestApp::spawn().await;
    expect_error(
        app.post_json("/v1/refusal-detection", &json!({})).await,
        StatusCode::BAD_REQUEST,
        "invalid_answers",
        "answers",
    )
    .await;
    let many = vec!["好"; 1_001];
    expect_error(
        app.post_json("/v1/refusal-detection", &json!({ "answers": many }))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_answers",
        "1000",
    )
    .await;
    expect_error(
        app.post_json("/v1/refusal-detection", &json!({ "answers": [1] }))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_answers",
        "",
    )
    .await;
    let anonymous = app
        .request_with(None, Method::POST, "/v1/refusal-detection")
        .json(&json!({ "answers": ["抱歉"] }))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
