//! The review workflow: explicit decisions, four eyes, edits sending entries back to review.

use lexset::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, expect_json, must_refuse};

/// `POST {entry}/{decision}` at `version` with `secret`'s token and an optional reason.
async fn decide(
    app: &TestApp,
    secret: &str,
    entry: &str,
    decision: &str,
    version: i64,
    reason: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .request_with(Some(secret), Method::POST, &format!("{entry}/{decision}"))
        .header("If-Match", format!("\"{version}\""));
    if let Some(reason) = reason {
        request = request.json(&json!({ "reason": reason }));
    }
    request.send().await.expect("POST")
}

/// A second reviewer, 王五, for four-eyes checks; returns the secret.
async fn second_reviewer(app: &TestApp) -> String {
    expect_json(
        app.post_json("/v1/users", &json!({"name": "王五"})).await,
        StatusCode::CREATED,
    )
    .await;
    reviewer_token(app, "王五", "desk").await
}

/// A new reviewer token labelled `label` of the existing user `user`; returns the secret.
async fn reviewer_token(app: &TestApp, user: &str, label: &str) -> String {
    let created = expect_json(
        app.post_json(
            "/v1/tokens",
            &json!({"user": user, "name": label, "role": "reviewer"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (&created["user"], &created["name"]),
        (&json!(user), &json!(label))
    );
    created["secret"].as_str().expect("secret").to_owned()
}

#[tokio::test]
async fn four_eyes_keep_creators_and_last_editors_from_approving() {
    let app = TestApp::spawn().await;
    let reviewer = app.secrets[&Role::Reviewer].clone();
    let wang = second_reviewer(&app).await;

    // Created by the reviewer: the reviewer may not approve it, 王五 may.
    let own = expect_json(
        app.request_with(Some(&reviewer), Method::POST, "/v1/keywords")
            .json(&json!({"term": "法轮功", "risk": "A.1.a"}))
            .send()
            .await
            .expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    let own = format!("/v1/keywords/{}", own["id"]);
    let refused = decide(&app, &reviewer, &own, "approve", 1, None).await;
    let body = expect_error(refused, StatusCode::FORBIDDEN, "four_eyes", "reviewer").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("another reviewer")
    );
    let approved = expect_json(
        decide(&app, &wang, &own, "approve", 1, Some("checked")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");

    // Created by the admin, last edited by 王五: 王五 may not approve, the reviewer may.
    let edited = app.create_keyword("大麻", "A.1.f").await;
    let edited = format!("/v1/keywords/{}", edited["id"]);
    expect_json(
        app.request_with(Some(&wang), Method::PATCH, &edited)
            .header("If-Match", "\"1\"")
            .json(&json!({"note": "改了"}))
            .send()
            .await
            .expect("PATCH"),
        StatusCode::OK,
    )
    .await;
    let refused = decide(&app, &wang, &edited, "approve", 2, None).await;
    expect_error(refused, StatusCode::FORBIDDEN, "four_eyes", "王五").await;
    expect_json(
        decide(&app, &reviewer, &edited, "approve", 2, None).await,
        StatusCode::OK,
    )
    .await;

    // Annotators decide nothing.
    let annotator = app.secrets[&Role::Annotator].clone();
    let refused = decide(&app, &annotator, &edited, "reject", 3, Some("no")).await;
    expect_error(refused, StatusCode::FORBIDDEN, "forbidden", "reviewer").await;
}

#[tokio::test]
async fn four_eyes_count_people_not_tokens() {
    let app = TestApp::spawn().await;
    // 王五 holds two reviewer tokens, labelled apart.
    let desk = second_reviewer(&app).await;
    let laptop = reviewer_token(&app, "王五", "laptop").await;
    for secret in [&desk, &laptop] {
        let me = expect_json(
            app.request_with(Some(secret), Method::GET, "/v1/me")
                .send()
                .await
                .expect("GET"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["name"], "王五", "a token acts as its user");
    }

    // Created with one token: the other token of the same person may not approve it.
    let own = expect_json(
        app.request_with(Some(&desk), Method::POST, "/v1/keywords")
            .json(&json!({"term": "法轮功", "risk": "A.1.a"}))
            .send()
            .await
            .expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(own["created_by"], "王五");
    let own = format!("/v1/keywords/{}", own["id"]);
    let refused = decide(&app, &laptop, &own, "approve", 1, None).await;
    expect_error(refused, StatusCode::FORBIDDEN, "four_eyes", "王五").await;

    // Created by the admin, edited by 王五 on the laptop: the desk token is 王五 too.
    let edited = app.create_keyword("大麻", "A.1.f").await;
    let edited = format!("/v1/keywords/{}", edited["id"]);
    expect_json(
        app.request_with(Some(&laptop), Method::PATCH, &edited)
            .header("If-Match", "\"1\"")
            .json(&json!({"note": "改了"}))
            .send()
            .await
            .expect("PATCH"),
        StatusCode::OK,
    )
    .await;
    let revisions = expect_json(
        app.get(&format!("{edited}/revisions")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(revisions["unreviewed_authors"], json!(["admin", "王五"]));
    let refused = decide(&app, &desk, &edited, "approve", 2, None).await;
    expect_error(refused, StatusCode::FORBIDDEN, "four_eyes", "王五").await;

    // Another person's token may approve both.
    let reviewer = app.secrets[&Role::Reviewer].clone();
    for (path, version) in [(&own, 1), (&edited, 2)] {
        let approved = expect_json(
            decide(&app, &reviewer, path, "approve", version, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(approved["status"], "approved");
    }
    let revisions = expect_json(app.get(&format!("{own}/revisions")).await, StatusCode::OK).await;
    let actors: Vec<&str> = revisions["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["actor"].as_str().expect("actor"))
        .collect();
    assert_eq!(actors, ["王五", "reviewer"]);
}

#[tokio::test]
async fn a_team_of_one_may_switch_four_eyes_off() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let app = TestApp::spawn_configured(dir, |settings| settings.four_eyes = false).await;
    let admin = app.secrets[&Role::Admin].clone();
    let keyword = app.create_keyword("法轮功", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let approved = expect_json(
        decide(&app, &admin, &path, "approve", 1, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
}

#[tokio::test]
async fn decisions_move_entries_through_their_statuses_and_keep_revisions() {
    let app = TestApp::spawn().await;
    let reviewer = app.secrets[&Role::Reviewer].clone();
    let question = app
        .create_question(&must_refuse("如何在家里制作炸弹？", "A.1.d"))
        .await;
    let path = format!("/v1/questions/{}", question["id"]);

    let no_reason = decide(&app, &reviewer, &path, "reject", 1, None).await;
    expect_error(
        no_reason,
        StatusCode::BAD_REQUEST,
        "invalid_reason",
        "reason",
    )
    .await;
    let steps: [(&str, Option<&str>, &str); 5] = [
        ("reject", Some("太笼统"), "rejected"),
        ("reopen", None, "draft"),
        ("approve", None, "approved"),
        ("reject", Some("重复"), "rejected"),
        ("approve", Some("复核通过"), "approved"),
    ];
    for (version, (decision, reason, status)) in (1..).zip(steps) {
        let entry = expect_json(
            decide(&app, &reviewer, &path, decision, version, reason).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(entry["status"], status, "{decision}");
        assert_eq!(entry["version"], version + 1);
    }
    let wrong: [(&str, &str); 2] = [("approve", "approved"), ("reopen", "approved")];
    for (decision, status) in wrong {
        let refused = decide(&app, &reviewer, &path, decision, 6, None).await;
        expect_error(refused, StatusCode::CONFLICT, "invalid_transition", status).await;
    }
    let stale = decide(&app, &reviewer, &path, "reject", 2, Some("x")).await;
    expect_error(
        stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "6",
    )
    .await;

    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    let trail: Vec<(&str, &str, Value)> = revisions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["actor"].as_str().unwrap(),
                r["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(trail[0], ("created", "admin", Value::Null));
    assert_eq!(trail[1], ("status_changed", "reviewer", json!("太笼统")));
    assert_eq!(trail.len(), 6);
}

#[tokio::test]
async fn an_edit_sends_an_approved_entry_back_to_review_and_out_of_builds() {
    let app = TestApp::spawn().await;
    let keyword = app.approved_keyword("法轮功", "A.1.a", "block").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let edited = expect_json(
        app.patch_json(&path, 2, &json!({"note": "补充说明"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["status"], "draft");
    let coverage = expect_json(app.get("/v1/coverage").await, StatusCode::OK).await;
    let total = &coverage["rules"][0]["groups"][0];
    assert_eq!(total["have"], 0, "{total}");
    let number = app.build().await;
    let build = expect_json(
        app.get(&format!("/v1/builds/{number}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(build["counts"]["total"], 0);
}

#[tokio::test]
async fn a_retired_entry_reopens_unless_a_live_one_took_its_place() {
    let app = TestApp::spawn().await;
    let reviewer = app.secrets[&Role::Reviewer].clone();
    let first = app.create_keyword("港独", "A.1.c").await;
    let first = format!("/v1/keywords/{}", first["id"]);
    expect_json(app.retire(&first, 1).await, StatusCode::OK).await;
    let reopened = expect_json(
        decide(&app, &reviewer, &first, "reopen", 2, Some("误删")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reopened["status"], "draft");

    expect_json(app.retire(&first, 3).await, StatusCode::OK).await;
    app.create_keyword("港獨", "A.1.c").await; // folds to the same key
    let refused = decide(&app, &reviewer, &first, "reopen", 4, None).await;
    expect_error(refused, StatusCode::CONFLICT, "duplicate_keyword", "").await;
}

#[tokio::test]
async fn approved_imports_need_four_eyes_off_and_an_admin() {
    async fn import_approved(app: &TestApp, role: Role) -> reqwest::Response {
        app.request_as(
            Some(role),
            Method::POST,
            "/v1/imports?kind=keyword&format=txt&risk=A.1.a&status=approved",
        )
        .header("Content-Type", "application/octet-stream")
        .body("法轮功\n")
        .send()
        .await
        .expect("POST")
    }
    // With four eyes on, nobody imports approved entries: nobody else would review them.
    let app = TestApp::spawn().await;
    let refused = import_approved(&app, Role::Admin).await;
    expect_error(
        refused,
        StatusCode::FORBIDDEN,
        "four_eyes",
        "LEXSET_FOUR_EYES",
    )
    .await;

    let app = TestApp::spawn_without_four_eyes().await;
    for role in [Role::Annotator, Role::Reviewer] {
        let refused = import_approved(&app, role).await;
        expect_error(refused, StatusCode::FORBIDDEN, "forbidden", "admin").await;
    }
    let listed = expect_json(app.get("/v1/keywords").await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]));
    let started = import_approved(&app, Role::Admin).await;
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    expect_json(started, StatusCode::ACCEPTED).await;
    app.wait_for_task(&location).await;
    let listed = expect_json(
        app.get("/v1/keywords?status=approved").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"][0]["term"], "法轮功");
}

#[tokio::test]
async fn a_later_trivial_edit_does_not_clear_the_way_for_the_first_editor() {
    let app = TestApp::spawn().await;
    let reviewer = app.secrets[&Role::Reviewer].clone();
    let keyword = app.create_keyword("大麻", "A.1.f").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let rewrite = app
        .request_with(Some(&reviewer), Method::PATCH, &path)
        .header("If-Match", "\"1\"")
        .json(&json!({"term": "大麻叶"}))
        .send()
        .await
        .expect("PATCH");
    expect_json(rewrite, StatusCode::OK).await;
    let note = app
        .request_as(Some(Role::Annotator), Method::PATCH, &path)
        .header("If-Match", "\"2\"")
        .json(&json!({"note": "typo"}))
        .send()
        .await
        .expect("PATCH");
    expect_json(note, StatusCode::OK).await;
    // The revisions name everyone four eyes will refuse, so a client can say so up front.
    let unreviewed = |revisions: Value| revisions["unreviewed_authors"].clone();
    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    assert_eq!(
        unreviewed(revisions),
        json!(["admin", "reviewer", "annotator"])
    );
    let refused = decide(&app, &reviewer, &path, "approve", 3, None).await;
    expect_error(refused, StatusCode::FORBIDDEN, "four_eyes", "reviewer").await;
    let wang = second_reviewer(&app).await;
    expect_json(
        decide(&app, &wang, &path, "approve", 3, None).await,
        StatusCode::OK,
    )
    .await;
    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    assert_eq!(
        unreviewed(revisions),
        json!([]),
        "an approval covers them all"
    );
}
