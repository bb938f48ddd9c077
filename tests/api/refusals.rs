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

/// The shipped phrase file with `phrase` added to the refusals.
fn with_refusal(phrase: &str) -> String {
    let shipped = include_str!("../../seeds/refusal-phrases.toml");
    shipped.replacen(
        "refusal = [\n",
        &format!("refusal = [\n  \"{phrase}\",\n"),
        1,
    )
}

#[tokio::test]
async fn a_phrase_list_is_proposed_reviewed_and_put_in_force_with_its_history() {
    let app = TestApp::spawn().await;
    let answer = "恕我直言，这个问题涉及违法内容。";
    let before = detect(&app, &[answer]).await;
    assert_eq!(before["version"], 0);
    assert_eq!(before["verdicts"][0]["refused"], false);
    let in_force = expect_json(app.get("/v1/refusal-phrases").await, StatusCode::OK).await;
    assert_eq!(in_force["version"], 0);
    assert!(
        in_force["text"]
            .as_str()
            .is_some_and(|t| t.contains("near_empty_chars"))
    );

    // An annotator proposes; the list in force stays until a reviewer approves.
    let propose = |text: String| {
        app.request_as(
            Some(Role::Annotator),
            Method::POST,
            "/v1/refusal-phrases/versions",
        )
        .json(&json!({ "text": text }))
        .send()
    };
    let first = expect_json(
        propose(with_refusal("恕我直言")).await.expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["status"], "draft");
    assert_eq!(
        detect(&app, &[answer]).await["verdicts"][0]["refused"],
        false
    );
    let approve = |role: Role, id: &Value| {
        app.request_as(
            Some(role),
            Method::POST,
            &format!("/v1/refusal-phrases/versions/{id}/approve"),
        )
        .send()
    };
    let approved = expect_json(
        approve(Role::Reviewer, &first["id"]).await.expect("POST"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], "reviewer");
    let after = detect(&app, &[answer]).await;
    assert_eq!(after["version"], first["id"]);
    assert_eq!(after["verdicts"][0]["refused"], true);
    assert_eq!(after["verdicts"][0]["evidence"]["phrase"], "恕我直言");

    // A second version replaces it; the first is retired, and a rejected one changes nothing.
    let second = expect_json(
        propose(with_refusal("恕难奉告")).await.expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    expect_json(
        approve(Role::Reviewer, &second["id"]).await.expect("POST"),
        StatusCode::OK,
    )
    .await;
    let third = expect_json(
        propose(with_refusal("无可奉陪")).await.expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    let response = app
        .request_as(
            Some(Role::Reviewer),
            Method::POST,
            &format!("/v1/refusal-phrases/versions/{}/reject", third["id"]),
        )
        .json(&json!({"reason": "无可奉陪 不是拒答"}))
        .send()
        .await
        .expect("POST");
    expect_json(response, StatusCode::OK).await;
    let versions = expect_json(
        app.get("/v1/refusal-phrases/versions").await,
        StatusCode::OK,
    )
    .await;
    let statuses: Vec<&Value> = versions["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| &v["status"])
        .collect();
    assert_eq!(
        statuses,
        [&json!("rejected"), &json!("approved"), &json!("retired")]
    );
    assert_eq!(versions["items"][0]["reason"], "无可奉陪 不是拒答");
    assert_eq!(
        detect(&app, &[answer]).await["verdicts"][0]["refused"],
        false,
        "the second list lacks 恕我直言"
    );

    // Kept across a restart.
    let (data_dir, database_url) = app.stop().await;
    let app = TestApp::spawn_on(data_dir, database_url).await;
    assert_eq!(detect(&app, &[answer]).await["version"], second["id"]);
}

#[tokio::test]
async fn phrase_lists_that_cannot_be_used_or_decided_are_refused() {
    let app = TestApp::spawn().await;
    let post = |role: Role, path: &str, body: Value| {
        app.request_as(Some(role), Method::POST, path)
            .json(&body)
            .send()
    };
    let paths = "/v1/refusal-phrases/versions";
    for (text, needle) in [
        ("refusal = [", "phrase file"),
        (&*with_refusal("我不能"), "我不能"),
        ("near_empty_chars = 0\nrefusal = []", "phrase file"),
    ] {
        let response = post(Role::Annotator, paths, json!({ "text": text }))
            .await
            .expect("POST");
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_text",
            needle,
        )
        .await;
    }
    let response = post(
        Role::Reader,
        paths,
        json!({"text": with_refusal("恕我直言")}),
    )
    .await
    .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Its author may not approve it (four eyes), an annotator may not at all.
    let draft = expect_json(
        post(
            Role::Reviewer,
            paths,
            json!({"text": with_refusal("恕我直言")}),
        )
        .await
        .expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    let approve = format!("{paths}/{}/approve", draft["id"]);
    let response = post(Role::Reviewer, &approve, json!({}))
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = post(Role::Annotator, &approve, json!({}))
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = post(
        Role::Admin,
        &format!("{paths}/{}/reject", draft["id"]),
        json!({}),
    )
    .await
    .expect("POST");
    expect_error(
        response,
        StatusCode::BAD_REQUEST,
        "invalid_reason",
        "reason",
    )
    .await;
    let response = post(Role::Admin, &format!("{paths}/999/approve"), json!({}))
        .await
        .expect("POST");
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "phrase_version_not_found",
        "999",
    )
    .await;
    expect_json(
        post(Role::Admin, &approve, json!({})).await.expect("POST"),
        StatusCode::OK,
    )
    .await;
    let response = post(Role::Admin, &approve, json!({})).await.expect("POST");
    assert_eq!(response.status(), StatusCode::CONFLICT, "approved once");
    let in_force = expect_json(app.get("/v1/refusal-phrases").await, StatusCode::OK).await;
    assert_eq!(in_force["version"], draft["id"]);
}
