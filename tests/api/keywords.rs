use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use lexset::domain::role::Role;

use crate::helpers::{TestApp, expect_error, expect_json};

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_stored_keyword() {
    let app = TestApp::spawn().await;
    let response = app
        .request_as(Some(Role::Annotator), Method::POST, "/v1/keywords")
        .json(&json!({
            "term": "  法轮功 ",
            "risk": "A.1.a",
            "note": "seen in forum posts",
            "source": "team list 2026-11"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let headers = response.headers().clone();
    let body = expect_json(response, StatusCode::CREATED).await;
    let id = body["id"].as_i64().unwrap();
    assert_eq!(headers["location"], format!("/v1/keywords/{id}").as_str());
    assert_eq!(headers["etag"], "\"1\"");
    assert_eq!(body["term"], "法轮功");
    assert_eq!(body["risk"], "A.1.a");
    assert_eq!(body["note"], "seen in forum posts");
    assert_eq!(body["source"], "team list 2026-11");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["created_by"], "annotator", "the token's user");
    assert_eq!(body["version"], 1);

    let fetched = app.get(&format!("/v1/keywords/{id}")).await;
    assert_eq!(fetched.headers()["etag"], "\"1\"");
    assert_eq!(expect_json(fetched, StatusCode::OK).await, body);
}

#[tokio::test]
async fn a_status_is_set_by_review_decisions_not_by_create_or_edit() {
    let app = TestApp::spawn().await;
    let create = app
        .post_json(
            "/v1/keywords",
            &json!({"term": "词", "risk": "A.2.e", "status": "approved"}),
        )
        .await;
    expect_error(create, StatusCode::BAD_REQUEST, "invalid_body", "status").await;
    let keyword = app.create_keyword("词", "A.2.e").await;
    assert_eq!(keyword["status"], "draft");
    let path = format!("/v1/keywords/{}", keyword["id"]);
    for status in ["approved", "retired"] {
        let edit = app.patch_json(&path, 1, &json!({ "status": status })).await;
        expect_error(edit, StatusCode::BAD_REQUEST, "invalid_body", "status").await;
    }
}

#[tokio::test]
async fn unknown_ids_answer_404_everywhere() {
    let app = TestApp::spawn().await;
    for path in ["/v1/keywords/999", "/v1/keywords/999/revisions"] {
        expect_error(
            app.get(path).await,
            StatusCode::NOT_FOUND,
            "keyword_not_found",
            "999",
        )
        .await;
    }
    let patch = app
        .patch_json("/v1/keywords/999", 1, &json!({"note": "x"}))
        .await;
    expect_error(patch, StatusCode::NOT_FOUND, "keyword_not_found", "999").await;
    let retire = app.retire("/v1/keywords/999", 1).await;
    expect_error(retire, StatusCode::NOT_FOUND, "keyword_not_found", "999").await;
    let not_an_id = app.get("/v1/keywords/abc").await;
    expect_error(not_an_id, StatusCode::NOT_FOUND, "not_found", "abc").await;
}

#[tokio::test]
async fn pages_walk_every_keyword_once_in_id_order() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(
            app.create_keyword(&format!("词{n}"), "A.1.b").await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut path = "/v1/keywords?limit=3".to_owned();
    loop {
        let page = expect_json(app.get(&path).await, StatusCode::OK).await;
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|item| item["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/keywords?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);
}

#[tokio::test]
async fn a_full_last_page_says_there_is_no_next_page() {
    let app = TestApp::spawn().await;
    for n in 0..4 {
        app.create_keyword(&format!("词{n}"), "A.1.b").await;
    }
    let first = expect_json(app.get("/v1/keywords?limit=2").await, StatusCode::OK).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!("/v1/keywords?limit=2&cursor={cursor}"))
        .await;
    let second = expect_json(second, StatusCode::OK).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[tokio::test]
async fn lists_filter_by_risk_status_and_prefix() {
    let app = TestApp::spawn().await;
    app.create_keyword("法轮功", "A.1.a").await;
    app.create_keyword("法轮大法", "A.1.a").await;
    app.create_keyword("法治", "A.2.i").await;
    app.approved_keyword("台独", "A.1.c", "block").await;

    let terms = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["term"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_risk = expect_json(app.get("/v1/keywords?risk=A.1.a").await, StatusCode::OK).await;
    assert_eq!(terms(by_risk), ["法轮功", "法轮大法"]);
    let by_status = expect_json(
        app.get("/v1/keywords?status=approved").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(terms(by_status), ["台独"]);
    let prefix = format!("/v1/keywords?prefix={}", "法轮");
    let by_prefix = expect_json(app.get(&prefix).await, StatusCode::OK).await;
    assert_eq!(terms(by_prefix), ["法轮功", "法轮大法"]);
    let wildcard = expect_json(app.get("/v1/keywords?prefix=%25").await, StatusCode::OK).await;
    assert_eq!(
        terms(wildcard),
        Vec::<String>::new(),
        "`%` is not a wildcard"
    );
    let combined = app.get("/v1/keywords?risk=A.1.a&prefix=法轮大").await;
    assert_eq!(
        terms(expect_json(combined, StatusCode::OK).await),
        ["法轮大法"]
    );
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let app = TestApp::spawn().await;
    let cases = [
        ("limit=0", "invalid_limit", "limit"),
        ("limit=1001", "invalid_limit", "1001"),
        ("limit=ten", "invalid_limit", "ten"),
        ("cursor=42", "invalid_cursor", "42"),
        ("cursor=id:%2B5", "invalid_cursor", "id:+5"),
        ("limit=%2B5", "invalid_limit", "+5"),
        ("status=live", "invalid_status", "live"),
        ("risk=A.9.z", "invalid_risk", "A.9.z"),
        ("prefix=", "invalid_prefix", "prefix"),
        ("risks=A.1.a", "invalid_query", "risks"),
    ];
    for (query, code, needle) in cases {
        let response = app.get(&format!("/v1/keywords?{query}")).await;
        expect_error(response, StatusCode::BAD_REQUEST, code, needle).await;
    }
    let max = app.get("/v1/keywords?limit=1000").await;
    expect_json(max, StatusCode::OK).await;
}

#[tokio::test]
async fn three_edits_leave_four_revisions_with_actor_reason_and_snapshot() {
    let app = TestApp::spawn().await;
    let id = app.create_keyword("法轮功", "A.1.a").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/v1/keywords/{id}");
    let steps = [
        ("", json!({"note": "first note", "reason": "context"})),
        ("", json!({"risk": "A.1.c"})),
        ("/approve", json!({"reason": "reviewed"})),
    ];
    let actors = [Role::Annotator, Role::Annotator, Role::Reviewer];
    for ((version, (action, body)), actor) in (1..).zip(steps).zip(actors) {
        let method = if action.is_empty() {
            Method::PATCH
        } else {
            Method::POST
        };
        let response = app
            .request_as(Some(actor), method, &format!("{path}{action}"))
            .header("If-Match", format!("\"{version}\""))
            .json(&body)
            .send()
            .await
            .unwrap();
        let next = version + 1;
        assert_eq!(response.headers()["etag"], format!("\"{next}\"").as_str());
        assert_eq!(expect_json(response, StatusCode::OK).await["version"], next);
    }
    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    let items = revisions["items"].as_array().unwrap();
    let summary: Vec<(i64, &str, &str, Value)> = items
        .iter()
        .map(|r| {
            (
                r["number"].as_i64().unwrap(),
                r["action"].as_str().unwrap(),
                r["actor"].as_str().unwrap(),
                r["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "created", "admin", Value::Null),
            (2, "updated", "annotator", json!("context")),
            (3, "updated", "annotator", Value::Null),
            (4, "status_changed", "reviewer", json!("reviewed")),
        ]
    );
    assert_eq!(items[1]["snapshot"]["note"], "first note");
    assert_eq!(items[1]["snapshot"]["risk"], "A.1.a");
    assert_eq!(items[2]["snapshot"]["risk"], "A.1.c");
    let mut current = expect_json(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(current["lints"], json!([]));
    current.as_object_mut().unwrap().remove("lints");
    assert_eq!(
        items[3]["snapshot"], current,
        "a snapshot is the entry without its lints"
    );
}

#[tokio::test]
async fn an_edit_without_if_match_is_428_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let keyword = app.create_keyword("法轮功", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let response = app
        .request(Method::PATCH, &path)
        .json(&json!({"term": "别的"}))
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "If-Match",
    )
    .await;
    let retire = app
        .request(Method::POST, &format!("{path}/retire"))
        .send()
        .await
        .unwrap();
    expect_error(
        retire,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "If-Match",
    )
    .await;
    assert_eq!(
        expect_json(app.get(&path).await, StatusCode::OK).await,
        keyword
    );
}

#[tokio::test]
async fn a_stale_edit_is_412_and_the_colleagues_edit_survives() {
    let app = TestApp::spawn().await;
    let id = app.create_keyword("法轮功", "A.1.a").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/v1/keywords/{id}");
    let first = app
        .patch_json(&path, 1, &json!({"note": "colleague's note"}))
        .await;
    expect_json(first, StatusCode::OK).await;
    let stale = app.patch_json(&path, 1, &json!({"note": "my note"})).await;
    expect_error(
        stale,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "\"2\"",
    )
    .await;
    let current = expect_json(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(current["note"], "colleague's note");
    assert_eq!(current["version"], 2);
    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    assert_eq!(revisions["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn if_match_follows_strong_comparison() {
    let app = TestApp::spawn().await;
    let id = app.create_keyword("法轮功", "A.1.a").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/v1/keywords/{id}");
    let send = |if_match: &'static str, note: &'static str| {
        app.request(Method::PATCH, &path)
            .header("If-Match", if_match)
            .json(&json!({ "note": note }))
            .send()
    };
    let weak = send("W/\"1\"", "a").await.unwrap();
    expect_error(
        weak,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "version 1",
    )
    .await;
    for malformed in ["1", "\"a b\"", "W/\"", "\"1\", 2"] {
        expect_error(
            send(malformed, "a").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_if_match",
            "If-Match",
        )
        .await;
    }
    // A well-formed tag that names no version (`"+1"` is not `"1"`) only fails to match.
    let signed = send("\"+1\"", "a").await.unwrap();
    expect_error(
        signed,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "version 1",
    )
    .await;
    let list = send("\"7\", \"1\"", "b").await.unwrap();
    assert_eq!(expect_json(list, StatusCode::OK).await["note"], "b");
    let any = send("*", "c").await.unwrap();
    assert_eq!(expect_json(any, StatusCode::OK).await["version"], 3);
}

#[tokio::test]
async fn of_two_concurrent_edits_of_one_version_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let id = app.create_keyword("法轮功", "A.1.a").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/v1/keywords/{id}");
    let body_a = json!({"note": "a"});
    let body_b = json!({"note": "b"});
    let (a, b) = tokio::join!(
        app.patch_json(&path, 1, &body_a),
        app.patch_json(&path, 1, &body_b),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let current = expect_json(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(current["version"], 2);
    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    assert_eq!(revisions["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn null_clears_optional_fields_and_is_refused_for_required_ones() {
    let app = TestApp::spawn().await;
    let created = app
        .post_json(
            "/v1/keywords",
            &json!({"term": "词", "risk": "A.1.a", "note": "n", "source": "s"}),
        )
        .await;
    let id = expect_json(created, StatusCode::CREATED).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/v1/keywords/{id}");
    let cleared = app.patch_json(&path, 1, &json!({"note": null})).await;
    let cleared = expect_json(cleared, StatusCode::OK).await;
    assert_eq!(cleared["note"], Value::Null);
    assert_eq!(cleared["source"], "s");
    for field in ["term", "risk"] {
        let response = app.patch_json(&path, 2, &json!({ field: null })).await;
        let code = format!("invalid_{field}");
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            &code,
            "cannot be cleared",
        )
        .await;
    }
}

#[tokio::test]
async fn an_edit_that_changes_nothing_writes_no_revision() {
    let app = TestApp::spawn().await;
    let keyword = app.create_keyword("词", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let same = app
        .patch_json(&path, 1, &json!({"term": "词", "risk": "A.1.a"}))
        .await;
    assert_eq!(expect_json(same, StatusCode::OK).await, keyword);
    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    assert_eq!(revisions["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn retiring_keeps_the_keyword_and_freezes_it() {
    let app = TestApp::spawn().await;
    let id = app.create_keyword("词", "A.1.a").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/v1/keywords/{id}");
    let retired = app
        .request_as(
            Some(Role::Reviewer),
            Method::POST,
            &format!("{path}/retire"),
        )
        .header("If-Match", "\"1\"")
        .json(&json!({"reason": "too broad"}))
        .send()
        .await
        .unwrap();
    assert_eq!(retired.headers()["etag"], "\"2\"");
    let retired = expect_json(retired, StatusCode::OK).await;
    assert_eq!(retired["status"], "retired");

    assert_eq!(
        expect_json(app.get(&path).await, StatusCode::OK).await,
        retired
    );
    let listed = expect_json(app.get("/v1/keywords?status=retired").await, StatusCode::OK).await;
    assert_eq!(listed["items"][0], retired);

    let edit = app.patch_json(&path, 2, &json!({"note": "x"})).await;
    expect_error(edit, StatusCode::CONFLICT, "entry_retired", "retired").await;
    let again = app.retire(&path, 2).await;
    expect_error(again, StatusCode::CONFLICT, "entry_retired", "retired").await;

    let revisions = expect_json(app.get(&format!("{path}/revisions")).await, StatusCode::OK).await;
    let last = &revisions["items"][1];
    assert_eq!(last["action"], "retired");
    assert_eq!(last["actor"], "reviewer");
    assert_eq!(last["reason"], "too broad");
}

#[tokio::test]
async fn every_invalid_field_is_named_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let long_term = "词".repeat(101);
    let cases = [
        (
            json!({"risk": "A.1.a"}),
            "invalid_term",
            "`term` is required",
        ),
        (
            json!({"term": "", "risk": "A.1.a"}),
            "invalid_term",
            "empty",
        ),
        (
            json!({"term": " \u{3000} ", "risk": "A.1.a"}),
            "invalid_term",
            "empty",
        ),
        (
            json!({"term": "a\u{7}b", "risk": "A.1.a"}),
            "invalid_term",
            "U+0007",
        ),
        (
            json!({"term": "a\nb", "risk": "A.1.a"}),
            "invalid_term",
            "U+000A",
        ),
        (
            json!({"term": long_term, "risk": "A.1.a"}),
            "invalid_term",
            "at most 100",
        ),
        (
            json!({"term": 5, "risk": "A.1.a"}),
            "invalid_term",
            "invalid type",
        ),
        (json!({"term": "词"}), "invalid_risk", "`risk` is required"),
        (
            json!({"term": "词", "risk": "A.9.z"}),
            "invalid_risk",
            "unknown risk code `A.9.z`",
        ),
        (
            json!({"term": "词", "risk": "A.1"}),
            "invalid_risk",
            "risk group",
        ),
        (
            json!({"term": "词", "risk": "A.1.a", "note": ""}),
            "invalid_note",
            "empty",
        ),
        (
            json!({"term": "词", "risk": "A.1.a", "source": "a\nb"}),
            "invalid_source",
            "U+000A",
        ),
        (
            json!({"term": "词", "risk": "A.1.a", "id": 3}),
            "invalid_body",
            "unknown field `id`",
        ),
        (json!(["词"]), "invalid_body", "JSON object"),
    ];
    for (body, code, needle) in cases {
        let response = app.post_json("/v1/keywords", &body).await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, code, needle).await;
        if let Some(field) = code.strip_prefix("invalid_").filter(|f| *f != "body") {
            assert_eq!(error["field"], field, "{error}");
        }
    }
    let listed = expect_json(app.get("/v1/keywords").await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn an_invalid_edit_is_refused_whole() {
    let app = TestApp::spawn().await;
    let keyword = app.create_keyword("词", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    let response = app
        .patch_json(&path, 1, &json!({"note": "fine", "risk": "A.7.a"}))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_risk", "A.7.a").await;
    assert_eq!(
        expect_json(app.get(&path).await, StatusCode::OK).await,
        keyword
    );
}
