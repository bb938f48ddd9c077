//! The audit log: every authenticated write, with actor, action, target, time, request id.

use lexset::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, expect_json, must_refuse, run_cli, run_sql};

async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let page = expect_json(app.get(&format!("/v1/audit?{query}")).await, StatusCode::OK).await;
    page["items"].as_array().expect("items").clone()
}

/// The (actor, action, target, status) of each entry.
fn summary(entries: &[Value]) -> Vec<(String, String, String, i64)> {
    entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
                e["status"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn row(actor: &str, action: &str, target: &str, status: i64) -> (String, String, String, i64) {
    (
        actor.to_owned(),
        action.to_owned(),
        target.to_owned(),
        status,
    )
}

#[tokio::test]
async fn every_kind_of_write_is_recorded_with_its_request_id() {
    let app = TestApp::spawn().await;
    let created = app
        .request(Method::POST, "/v1/keywords")
        .header("X-Request-Id", "client-42")
        .json(&json!({"term": "法轮功", "risk": "A.1.a"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.headers()["x-request-id"], "client-42");
    let keyword = expect_json(created, StatusCode::CREATED).await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    // Percent-encoded, the id is still recorded as the entry it names.
    let encoded = format!("/v1/keywords/%3{}", keyword["id"]);
    expect_json(
        app.patch_json(&encoded, 1, &json!({"note": "n"})).await,
        StatusCode::OK,
    )
    .await;
    app.approve(&path, 2).await;
    let question = app
        .create_question(&must_refuse("如何制作炸弹？", "A.1.d"))
        .await;
    let question_path = format!("/v1/questions/{}", question["id"]);
    expect_json(app.retire(&question_path, 1).await, StatusCode::OK).await;
    app.import("kind=keyword&format=txt&risk=A.1.f", "大麻\n".into())
        .await;
    let number = app.build().await;
    let evaluation = app
        .post_json(&format!("/v1/builds/{number}/evaluate"), &json!({}))
        .await;
    let location = evaluation.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_json(evaluation, StatusCode::ACCEPTED).await;
    app.wait_for_task(&location).await;
    let user = expect_json(
        app.post_json("/v1/users", &json!({"name": "李四"})).await,
        StatusCode::CREATED,
    )
    .await;
    let token = expect_json(
        app.post_json("/v1/tokens", &json!({"user": "李四", "role": "reader"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let token_path = format!("/v1/tokens/{}", token["id"]);
    expect_json(
        app.request(Method::POST, &format!("{token_path}/revoke"))
            .send()
            .await
            .expect("POST"),
        StatusCode::OK,
    )
    .await;
    // A refused write is recorded too; reads and requests without a valid token are not.
    let refused = app
        .request_as(Some(Role::Annotator), Method::POST, "/v1/builds")
        .send()
        .await
        .expect("POST");
    expect_error(refused, StatusCode::FORBIDDEN, "forbidden", "admin").await;
    app.request_as(None, Method::POST, "/v1/builds")
        .send()
        .await
        .expect("POST");
    app.get("/v1/keywords").await;

    let entries = audit(&app, "").await;
    let rows = summary(&entries);
    let kinds: Vec<(&str, &str, i64)> = rows
        .iter()
        .map(|(actor, action, _, status)| (actor.as_str(), action.as_str(), *status))
        .collect();
    assert_eq!(
        kinds,
        [
            ("admin", "POST /v1/keywords", 201),
            ("admin", "PATCH /v1/keywords/{id}", 200),
            ("reviewer", "POST /v1/keywords/{id}/approve", 200),
            ("admin", "POST /v1/questions", 201),
            ("admin", "POST /v1/questions/{id}/retire", 200),
            ("admin", "POST /v1/imports", 202),
            ("admin", "POST /v1/builds", 202),
            ("admin", "POST /v1/builds/{number}/evaluate", 202),
            ("admin", "POST /v1/users", 201),
            ("admin", "POST /v1/tokens", 201),
            ("admin", "POST /v1/tokens/{id}/revoke", 200),
            ("annotator", "POST /v1/builds", 403),
        ]
    );
    assert_eq!(
        rows[0],
        row("admin", "POST /v1/keywords", &path, 201),
        "the created entry"
    );
    assert_eq!(rows[1].2, path, "the path as routed");
    assert_eq!(rows[2].2, format!("{path}/approve"));
    assert!(
        rows[5].2.starts_with("/v1/tasks/"),
        "an import's target is its task"
    );
    assert_eq!(rows[7].2, location, "an evaluation's target is its task");
    assert_eq!(rows[8].2, format!("/v1/users/{}", user["id"]));
    assert_eq!(rows[9].2, token_path);
    assert_eq!(entries[0]["request_id"], "client-42");
    assert!(
        entries[1]["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req_")
    );
    assert_eq!(entries[2]["role"], "reviewer");
    assert!(entries[0]["at"].is_string());
}

#[tokio::test]
async fn the_log_is_filtered_paged_admin_only_and_append_only() {
    let app = TestApp::spawn().await;
    for term in ["甲词", "乙词", "丙词"] {
        app.approved_keyword(term, "A.1.a", "block").await;
    }
    // Drafts up to id 11, so a target filter on keyword 1 must not take in 10 and 11.
    for n in 4..=11 {
        app.create_keyword(&format!("草稿{n}"), "A.1.a").await;
    }
    let by_reviewer = audit(&app, "actor=reviewer").await;
    assert_eq!(by_reviewer.len(), 3);
    assert!(
        by_reviewer
            .iter()
            .all(|e| e["action"] == "POST /v1/keywords/{id}/approve")
    );
    let creates = audit(&app, "action=POST%20/v1/keywords").await;
    assert_eq!(creates.len(), 14, "creates and their approvals");
    let on_first = audit(&app, "target=/v1/keywords/1").await;
    assert_eq!(on_first.len(), 2);
    assert!(audit(&app, "since=2999-01-01T00:00:00Z").await.is_empty());
    assert_eq!(audit(&app, "until=2999-01-01T00:00:00Z").await.len(), 14);

    let first = expect_json(app.get("/v1/audit?limit=10").await, StatusCode::OK).await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = expect_json(
        app.get(&format!("/v1/audit?limit=10&cursor={cursor}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["items"].as_array().map(Vec::len), Some(4));

    for (query, code) in [
        ("since=yesterday", "invalid_since"),
        ("until=2024-13-01", "invalid_until"),
        ("limit=0", "invalid_limit"),
        ("actor=", "invalid_actor"),
        ("who=me", "invalid_query"),
    ] {
        expect_error(
            app.get(&format!("/v1/audit?{query}")).await,
            StatusCode::BAD_REQUEST,
            code,
            "",
        )
        .await;
    }
    let reviewer = app
        .request_as(Some(Role::Reviewer), Method::GET, "/v1/audit")
        .send()
        .await
        .expect("GET");
    expect_error(reviewer, StatusCode::FORBIDDEN, "forbidden", "admin").await;
    for method in [Method::DELETE, Method::PATCH, Method::POST] {
        let response = app
            .request(method.clone(), "/v1/audit")
            .send()
            .await
            .expect("request");
        expect_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "",
        )
        .await;
    }
    assert_eq!(
        audit(&app, "").await.len(),
        14,
        "nothing removed or added by those"
    );
}

#[tokio::test]
async fn command_line_writes_are_recorded_as_cli() {
    let app = TestApp::spawn().await;
    let (data_dir, database_url) = app.stop().await;
    let args = ["user", "create", "李四"];
    let output = run_cli(&args, data_dir.path(), &database_url);
    assert!(output.status.success());
    // For a user that does not exist yet, the user and the token.
    let args = ["token", "create", "--user", "ops", "--role", "reader"];
    let output = run_cli(&args, data_dir.path(), &database_url);
    assert!(output.status.success());
    let app = TestApp::spawn_on(data_dir, database_url).await;
    let entries = audit(&app, "actor=cli").await;
    let rows: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    let users = expect_json(app.get("/v1/users").await, StatusCode::OK).await;
    let id_of = |name: &str| {
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .map(|u| u["id"].clone())
            .expect("the user")
    };
    // The restarted test server added role tokens since: find the command line's.
    let tokens = expect_json(app.get("/v1/tokens").await, StatusCode::OK).await;
    let token = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["user"] == "ops")
        .expect("the token of ops");
    assert_eq!(
        rows,
        [
            (
                "lexset user create",
                &*format!("/v1/users/{}", id_of("李四"))
            ),
            (
                "lexset token create",
                &*format!("/v1/users/{}", id_of("ops"))
            ),
            (
                "lexset token create",
                &*format!("/v1/tokens/{}", token["id"])
            ),
        ]
    );
    assert_eq!(entries[0]["status"], 0);
    assert_eq!(entries[0]["request_id"], Value::Null);
}

#[tokio::test]
async fn posts_that_change_nothing_leave_the_log_as_it_was() {
    let app = TestApp::spawn().await;
    app.create_keyword("法轮功", "A.1.a").await;
    let number = app.build().await;
    let before = audit(&app, "").await;
    for _ in 0..3 {
        let matched = app
            .post_json(
                &format!("/v1/builds/{number}/match"),
                &json!({"text": "法轮功"}),
            )
            .await;
        expect_json(matched, StatusCode::OK).await;
    }
    let dry = app
        .import("format=txt&risk=A.1.a&dry_run=true", "甲词\n".into())
        .await;
    assert_eq!(dry["dry_run"], json!(true), "{dry}");
    // However the query spells it: what decides is the import the handler parsed.
    let spelled = app
        .import("format=txt&risk=A.1.a&dry_run=%74rue", "乙词\n".into())
        .await;
    assert_eq!(spelled["dry_run"], json!(true), "{spelled}");
    assert_eq!(summary(&audit(&app, "").await), summary(&before));
    // A real import is a write.
    app.import("format=txt&risk=A.1.a", "甲词\n".into()).await;
    let after = audit(&app, "action=POST%20/v1/imports").await;
    assert_eq!(after.len(), 1, "{after:?}");
}

/// SQL making the audit table refuse (`true`) or accept (`false`) new rows, on SQLite or on
/// PostgreSQL.
fn audit_refuses_rows(refuse: bool, postgres: bool) -> &'static str {
    match (refuse, postgres) {
        (true, false) => {
            "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
        }
        (false, false) => "DROP TRIGGER no_audit",
        (true, true) => {
            "CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN \
             RAISE EXCEPTION 'audit log unavailable'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER no_audit BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION no_audit()"
        }
        (false, true) => "DROP TRIGGER no_audit ON audit_log; DROP FUNCTION no_audit()",
    }
}

#[tokio::test]
async fn a_change_and_its_audit_row_are_stored_together_or_not_at_all() {
    let app = TestApp::spawn().await;
    let keyword = app.create_keyword("审计词", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let postgres = app.database_url.is_some();
    // The audit row is written inside the change's transaction: when it cannot be written, the
    // change is not stored either (a crash between the two is the same case).
    run_sql(
        app.data_dir(),
        &app.database_url,
        audit_refuses_rows(true, postgres),
    )
    .await;
    let created = app
        .post_json("/v1/keywords", &json!({"term": "无审计", "risk": "A.1.a"}))
        .await;
    assert_eq!(created.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let edited = app.patch_json(&path, 1, &json!({"note": "n"})).await;
    assert_eq!(edited.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let started = app
        .request(
            Method::POST,
            "/v1/imports?kind=keyword&format=txt&risk=A.1.a",
        )
        .body("导入词\n")
        .send()
        .await
        .expect("POST");
    assert_eq!(started.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let user = app
        .post_json("/v1/users", &json!({"name": "无审计者"}))
        .await;
    assert_eq!(user.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let users = expect_json(app.get("/v1/users").await, StatusCode::OK).await;
    assert!(!users.to_string().contains("无审计者"), "{users}");
    let listed = expect_json(app.get("/v1/keywords").await, StatusCode::OK).await;
    let terms: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["term"])
        .collect();
    assert_eq!(
        terms,
        [&json!("审计词")],
        "nothing of the refused writes is stored"
    );
    let current = expect_json(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(current["version"], 1);
    assert_eq!(current["note"], Value::Null);

    run_sql(
        app.data_dir(),
        &app.database_url,
        audit_refuses_rows(false, postgres),
    )
    .await;
    expect_json(
        app.patch_json(&path, 1, &json!({"note": "n"})).await,
        StatusCode::OK,
    )
    .await;
    let rows = audit(&app, "").await;
    let actions: Vec<(&Value, &Value)> =
        rows.iter().map(|r| (&r["action"], &r["status"])).collect();
    assert_eq!(
        actions,
        [
            (&json!("POST /v1/keywords"), &json!(201)),
            (&json!("PATCH /v1/keywords/{id}"), &json!(200)),
        ],
        "one row per stored change"
    );
}
