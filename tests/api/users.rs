//! Users: the people tokens belong to. Created and listed by admins, unique by name, the actor
//! of their tokens' changes; tokens made before users existed belong to users of their names.

use lexset::domain::role::Role;
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, expect_json, fresh_database, run_cli};

async fn create_user(app: &TestApp, name: &str) -> reqwest::Response {
    app.post_json("/v1/users", &json!({ "name": name })).await
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["name"].as_str().expect("name"))
        .collect()
}

#[tokio::test]
async fn admins_create_and_list_users_with_unique_names() {
    let app = TestApp::spawn().await;
    let response = create_user(&app, " 张三 ").await;
    let location = response.headers()["location"]
        .to_str()
        .expect("Location")
        .to_owned();
    let created = expect_json(response, StatusCode::CREATED).await;
    assert_eq!(created["name"], "张三");
    assert_eq!(created["created_by"], "admin");
    assert!(created["created_at"].is_string());
    assert_eq!(location, format!("/v1/users/{}", created["id"]));
    assert_eq!(
        expect_json(app.get(&location).await, StatusCode::OK).await,
        created
    );

    let listed = expect_json(app.get("/v1/users").await, StatusCode::OK).await;
    assert_eq!(
        names(&listed),
        ["张三", "admin", "reviewer", "annotator", "reader"],
        "newest first, one per role token of the test server"
    );
    let limited = expect_json(app.get("/v1/users?limit=1").await, StatusCode::OK).await;
    assert_eq!(names(&limited), ["张三"]);

    for name in ["张三", "张三\u{3000}"] {
        expect_error(
            create_user(&app, name).await,
            StatusCode::CONFLICT,
            "duplicate_user",
            "张三",
        )
        .await;
    }
    let cases: [(Value, StatusCode, &str, &str); 5] = [
        (
            json!({}),
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "`name` is required",
        ),
        (
            json!({"name": " "}),
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "empty",
        ),
        (
            json!({"name": "字".repeat(65)}),
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "at most 64",
        ),
        (
            json!({"name": "cli"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
            "reserved",
        ),
        (
            json!({"name": "李四", "role": "admin"}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "role",
        ),
    ];
    for (body, status, code, needle) in cases {
        expect_error(
            app.post_json("/v1/users", &body).await,
            status,
            code,
            needle,
        )
        .await;
    }
    expect_error(
        app.get("/v1/users/999").await,
        StatusCode::NOT_FOUND,
        "user_not_found",
        "999",
    )
    .await;
    let listed = expect_json(app.get("/v1/users").await, StatusCode::OK).await;
    assert_eq!(names(&listed).len(), 5, "refusals created nobody");

    // Users are the admins' to manage, like tokens.
    for (method, path) in [(Method::POST, "/v1/users"), (Method::GET, "/v1/users")] {
        let refused = app
            .request_as(Some(Role::Reviewer), method, path)
            .json(&json!({"name": "王五"}))
            .send()
            .await
            .expect("request");
        expect_error(refused, StatusCode::FORBIDDEN, "forbidden", "admin").await;
    }
}

#[tokio::test]
async fn a_token_needs_an_existing_user_and_acts_as_that_user() {
    let app = TestApp::spawn().await;
    let token = json!({"user": "李四", "name": "laptop", "role": "annotator"});
    let body = expect_error(
        app.post_json("/v1/tokens", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_user",
        "李四",
    )
    .await;
    assert_eq!(body["field"], "user");
    let tokens = expect_json(app.get("/v1/tokens").await, StatusCode::OK).await;
    assert_eq!(
        tokens["items"].as_array().map(Vec::len),
        Some(Role::ALL.len())
    );

    expect_json(create_user(&app, "李四").await, StatusCode::CREATED).await;
    let created = expect_json(
        app.post_json("/v1/tokens", &token).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (&created["user"], &created["name"]),
        (&json!("李四"), &json!("laptop"))
    );
    let secret = created["secret"].as_str().expect("secret");
    let me = expect_json(
        app.request_with(Some(secret), Method::GET, "/v1/me")
            .send()
            .await
            .expect("GET"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&me["name"], &me["role"]),
        (&json!("李四"), &json!("annotator"))
    );
    let keyword = expect_json(
        app.request_with(Some(secret), Method::POST, "/v1/keywords")
            .json(&json!({"term": "法轮功", "risk": "A.1.a"}))
            .send()
            .await
            .expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(keyword["created_by"], "李四", "the user, not the label");
    let audit = expect_json(app.get("/v1/audit?actor=李四").await, StatusCode::OK).await;
    assert_eq!(audit["items"][0]["action"], "POST /v1/keywords");
    // A user's role is its token's: 李四 as an annotator may not manage users.
    let refused = app
        .request_with(Some(secret), Method::GET, "/v1/users")
        .send()
        .await
        .expect("GET");
    expect_error(refused, StatusCode::FORBIDDEN, "forbidden", "李四").await;
}

#[tokio::test]
async fn the_command_line_creates_users() {
    let app = TestApp::spawn().await;
    let (data_dir, database_url) = app.stop().await;
    let created = run_cli(&["user", "create", "张三"], data_dir.path(), &database_url);
    let log = String::from_utf8_lossy(&created.stderr);
    assert!(created.status.success(), "{log}");
    assert!(log.contains("`张三` created"), "{log}");
    for (name, needle) in [("张三", "exists already"), ("cli", "reserved")] {
        let refused = run_cli(&["user", "create", name], data_dir.path(), &database_url);
        assert!(!refused.status.success());
        let log = String::from_utf8_lossy(&refused.stderr);
        assert!(log.contains(needle), "{log}");
    }
    // A token for the user made before: no second user.
    let token = run_cli(
        &[
            "token", "create", "--user", "张三", "--name", "ci", "--role", "reader",
        ],
        data_dir.path(),
        &database_url,
    );
    let log = String::from_utf8_lossy(&token.stderr);
    assert!(token.status.success(), "{log}");
    assert!(!log.contains("`张三` created"), "{log}");

    let app = TestApp::spawn_on(data_dir, database_url).await;
    let users = expect_json(app.get("/v1/users").await, StatusCode::OK).await;
    let zhang: Vec<&Value> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["name"] == "张三")
        .collect();
    assert_eq!(zhang.len(), 1, "{users}");
    assert_eq!(zhang[0]["created_by"], "cli");
    let tokens = expect_json(app.get("/v1/tokens").await, StatusCode::OK).await;
    let of_zhang: Vec<&Value> = tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["user"] == "张三")
        .collect();
    assert_eq!(of_zhang.len(), 1, "{tokens}");
    assert_eq!(of_zhang[0]["name"], "ci");
}

/// Tokens as the store held them before users existed: (name, role, secret, created by).
const OLD_TOKENS: [(&str, &str, &str, &str); 3] = [
    ("张三", "reviewer", "lexset_old_desk", "cli"),
    ("ops", "admin", "lexset_old_ops", "张三"),
    ("张三", "reviewer", "lexset_old_laptop", "ops"),
];

#[tokio::test]
async fn tokens_made_before_users_existed_belong_to_users_of_their_names() {
    use lexset_migrations::{Migrator, MigratorTrait};
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let database_url = fresh_database().await;
    let url = database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.path().join("lexset.db").display()
        )
    });
    let db = sea_orm::Database::connect(&url).await.expect("database");
    // The schema before users (m0008), with tokens as `lexset token create` made them then.
    Migrator::up(&db, Some(8)).await.expect("migrated to m0008");
    for (at, (name, role, secret, created_by)) in OLD_TOKENS.iter().enumerate() {
        let hash = lexset_filter::checksum::sha256_hex(secret.as_bytes());
        db.execute_unprepared(&format!(
            "INSERT INTO api_tokens (name, role, secret_hash, created_by, created_at) \
             VALUES ('{name}', '{role}', '{hash}', '{created_by}', \
             '2026-01-0{}T00:00:00+00:00')",
            at + 1
        ))
        .await
        .expect("an old token");
    }
    db.close().await.expect("closes");

    // Starting the server migrates the store.
    let app = TestApp::spawn_on(data_dir, database_url).await;
    let users = expect_json(app.get("/v1/users").await, StatusCode::OK).await;
    let old: Vec<&Value> = users["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|u| u["name"] == "张三" || u["name"] == "ops")
        .collect();
    assert_eq!(old.len(), 2, "one user per distinct token name: {users}");
    let zhang = old.iter().find(|u| u["name"] == "张三").expect("张三");
    assert_eq!(zhang["created_by"], "cli", "as their oldest token");
    assert!(
        zhang["created_at"]
            .as_str()
            .expect("created_at")
            .starts_with("2026-01-01"),
        "{zhang}"
    );
    assert_eq!(
        old.iter().find(|u| u["name"] == "ops").expect("ops")["created_by"],
        "张三"
    );

    let tokens = expect_json(app.get("/v1/tokens").await, StatusCode::OK).await;
    let held: Vec<(&str, &str)> = tokens["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| t["id"].as_i64().is_some_and(|id| id <= 3))
        .map(|t| (t["user"].as_str().unwrap(), t["name"].as_str().unwrap()))
        .collect();
    assert_eq!(held, [("张三", "张三"), ("ops", "ops"), ("张三", "张三")]);

    // The old secrets still work, as their users.
    let (desk, laptop) = (OLD_TOKENS[0].2, OLD_TOKENS[2].2);
    let me = expect_json(
        app.request_with(Some(laptop), Method::GET, "/v1/me")
            .send()
            .await
            .expect("GET"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["name"], "张三");
    // …so 张三's two old tokens are one reviewer for four eyes.
    let keyword = expect_json(
        app.request_with(Some(desk), Method::POST, "/v1/keywords")
            .json(&json!({"term": "法轮功", "risk": "A.1.a"}))
            .send()
            .await
            .expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    let refused = app
        .request_with(
            Some(laptop),
            Method::POST,
            &format!("/v1/keywords/{}/approve", keyword["id"]),
        )
        .header("If-Match", "\"1\"")
        .send()
        .await
        .expect("POST");
    expect_error(refused, StatusCode::FORBIDDEN, "four_eyes", "张三").await;

    // Users and tokens made after the migration get fresh ids; names stay unique.
    expect_error(
        create_user(&app, "张三").await,
        StatusCode::CONFLICT,
        "duplicate_user",
        "张三",
    )
    .await;
    let another = expect_json(
        app.post_json("/v1/tokens", &json!({"user": "ops", "role": "reader"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(
        another["id"].as_i64().is_some_and(|id| id > 3 + 4),
        "{another}"
    );
}
