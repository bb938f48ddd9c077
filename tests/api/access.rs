//! Access control: the authorization matrix over every route, token lifecycle, bootstrap.

use lexset::domain::role::Role;
use lexset::http::access::{Access, RULES, rule_for};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, database_url_of, expect_error, expect_json, run_cli, run_sql, token_of,
};

/// Routes outside the OpenAPI document: the documentation itself, the coverage page and the
/// web page with its assets.
const UNDOCUMENTED: [(&str, &str); 6] = [
    ("GET", "/"),
    ("GET", "/ui/{asset}"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/{_:.*}"),
    ("GET", "/coverage"),
];

/// Every (method, route) the server has: the served OpenAPI document plus [`UNDOCUMENTED`].
async fn routes(app: &TestApp) -> Vec<(Method, String)> {
    let spec = expect_json(
        app.request_as(None, Method::GET, "/openapi.json")
            .send()
            .await
            .expect("GET"),
        StatusCode::OK,
    )
    .await;
    let mut routes: Vec<(Method, String)> = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("operations").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            routes.push((method, path.clone()));
        }
    }
    routes.extend(UNDOCUMENTED.iter().map(|(method, path)| {
        (
            Method::from_bytes(method.as_bytes()).expect("method"),
            (*path).to_owned(),
        )
    }));
    routes
}

/// A concrete path for a route pattern; ids name nothing, so no request changes a token or an
/// entry the matrix relies on.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{_:.*}", "index.html")
        .replace("{file}", "keywords.csv")
        .replace("{asset}", "app.js")
        .replace("{id}", "999999")
        .replace("{number}", "999999")
        .replace("{from}", "1")
        .replace("{to}", "1")
}

/// Tokens the matrix needs beyond the four roles: revoked and expired ones (admins both, so
/// only their state can be why they are refused).
async fn dead_tokens(app: &TestApp) -> (String, String) {
    use lexset::services::tokens;
    let db = sea_orm::Database::connect(database_url_of(app.data_dir(), &app.database_url))
        .await
        .expect("database");
    let revoked_secret = token_of(&db, "revoked", Role::Admin, None).await;
    let cache = tokens::TokenCache::default();
    let revoked = tokens::authenticate(&db, &cache, &revoked_secret)
        .await
        .expect("lookup")
        .expect("a valid token");
    tokens::revoke(&db, &cache, revoked.token_id, None)
        .await
        .expect("revoked");
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let expired_secret = token_of(&db, "expired", Role::Admin, Some(past)).await;
    db.close().await.expect("closes");
    (revoked_secret, expired_secret)
}

#[tokio::test]
async fn every_route_answers_every_credential_as_its_rule_says() {
    let app = TestApp::spawn().await;
    let (revoked, expired) = dead_tokens(&app).await;
    let routes = routes(&app).await;
    for rule in RULES {
        assert!(
            routes
                .iter()
                .any(|(method, path)| method.as_str() == rule.method && path == rule.path),
            "the rule for {} {} names no route",
            rule.method,
            rule.path
        );
    }
    for (method, pattern) in &routes {
        let rule = rule_for(method.as_str(), pattern).unwrap_or_else(|| {
            panic!("{method} {pattern} has no access rule in http::access::RULES")
        });
        let path = concrete(pattern);
        let send = |secret: Option<String>| {
            let mut request = app.request_with(secret.as_deref(), method.clone(), &path);
            if matches!(*method, Method::POST | Method::PATCH) {
                request = request.json(&json!({})).header("If-Match", "\"1\"");
            }
            async move { request.send().await.expect("a response") }
        };
        let what = format!("{method} {path}");
        match rule.access {
            Access::Public => {
                let status = send(None).await.status();
                assert!(
                    status.is_success() || status.is_redirection(),
                    "{what} without a token: {status}"
                );
            }
            Access::AtLeast(needed) => {
                let refusals = [
                    (None, "missing_token"),
                    (Some("lexset_nonsense".to_owned()), "invalid_token"),
                    (Some(revoked.clone()), "token_revoked"),
                    (Some(expired.clone()), "token_expired"),
                ];
                for (secret, code) in refusals {
                    let response = send(secret).await;
                    let challenge = response.headers().get("www-authenticate").cloned();
                    assert_eq!(
                        challenge.as_ref().map(|v| v.to_str().unwrap_or_default()),
                        Some("Bearer"),
                        "{what}: {}",
                        response.status()
                    );
                    let body = expect_json(response, StatusCode::UNAUTHORIZED).await;
                    assert_eq!(body["code"], code, "{what}: {body}");
                }
                for role in Role::ALL {
                    let response = send(Some(app.secrets[&role].clone())).await;
                    let status = response.status();
                    if role < needed {
                        let body = expect_json(response, StatusCode::FORBIDDEN).await;
                        assert_eq!(body["code"], "forbidden", "{what} as {role:?}");
                        assert!(body["message"].as_str().unwrap().contains(needed.as_str()));
                    } else {
                        assert!(
                            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                            "{what} as {role:?}: {status}"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn admins_create_list_and_revoke_tokens_and_secrets_are_shown_once() {
    let app = TestApp::spawn().await;
    let created = app
        .user_with_token(
            "张三",
            json!({"role": "annotator", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(
        secret.starts_with("lexset_") && secret.len() == 7 + 64,
        "{secret}"
    );
    assert_eq!(created["role"], "annotator");
    assert_eq!(created["created_by"], "admin");
    assert_eq!(created["user"], "张三");
    assert_eq!(
        created["name"], "张三",
        "the label defaults to the user's name"
    );

    // The new token works and names its user in the revisions it writes.
    let keyword = expect_json(
        app.request_with(Some(&secret), Method::POST, "/v1/keywords")
            .json(&json!({"term": "法轮功", "risk": "A.1.a"}))
            .send()
            .await
            .expect("POST"),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(keyword["created_by"], "张三");

    let listed = expect_json(app.get("/v1/tokens").await, StatusCode::OK).await;
    let text = listed.to_string();
    assert!(
        !text.contains(&secret) && !text.contains("secret"),
        "{text}"
    );
    let id = created["id"].as_i64().expect("id");
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id)
    );

    let revoked = expect_json(
        app.request(Method::POST, &format!("/v1/tokens/{id}/revoke"))
            .send()
            .await
            .expect("POST"),
        StatusCode::OK,
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    expect_refused_as_revoked(&app, &secret, "/v1/keywords").await;
}

/// `GET path` with `secret` answers `401 token_revoked`.
async fn expect_refused_as_revoked(app: &TestApp, secret: &str, path: &str) {
    expect_error(
        app.request_with(Some(secret), Method::GET, path)
            .send()
            .await
            .expect("GET"),
        StatusCode::UNAUTHORIZED,
        "token_revoked",
        "revoked",
    )
    .await;
}

/// A token is taken on trust for `TRUSTED_FOR` after it was found valid (the token cache);
/// revoked in the store by someone else (another replica, an operator), it is refused once
/// that time has passed, and the refusal is never cached.
#[tokio::test]
async fn a_token_revoked_in_the_store_by_another_process_is_refused_within_the_trusted_time() {
    use lexset::services::tokens::TRUSTED_FOR;
    let app = TestApp::spawn().await;
    let created = app.user_with_token("李四", json!({"role": "reader"})).await;
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let id = created["id"].as_i64().expect("id");
    let status = || async {
        app.request_with(Some(&secret), Method::GET, "/v1/me")
            .send()
            .await
            .expect("GET")
            .status()
    };
    assert_eq!(
        status().await,
        StatusCode::OK,
        "the new token works at once"
    );
    run_sql(
        app.data_dir(),
        &app.database_url,
        &format!("UPDATE api_tokens SET revoked_at = '2026-01-01T00:00:00+00:00' WHERE id = {id}"),
    )
    .await;
    let revoked_at = std::time::Instant::now();
    // Asked again and again, so the cache has every chance to keep vouching for it.
    while status().await == StatusCode::OK {
        assert!(
            revoked_at.elapsed() < TRUSTED_FOR * 3,
            "still accepted {:?} after it was revoked",
            revoked_at.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        expect_refused_as_revoked(&app, &secret, "/v1/me").await;
    }
}

#[tokio::test]
async fn bad_token_requests_are_named_and_create_nothing() {
    let app = TestApp::spawn().await;
    let cases: [(Value, StatusCode, &str, &str); 10] = [
        (
            json!({"name": "ops", "role": "reader"}),
            StatusCode::BAD_REQUEST,
            "invalid_user",
            "`user` is required",
        ),
        (
            json!({"user": "x".repeat(65), "role": "reader"}),
            StatusCode::BAD_REQUEST,
            "invalid_user",
            "at most 64",
        ),
        (
            json!({"user": "cli", "role": "reader"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_user",
            "reserved",
        ),
        (
            json!({"user": "nobody", "role": "reader"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_user",
            "nobody",
        ),
        (
            json!({"user": "reader", "name": "", "role": "reader"}),
            StatusCode::BAD_REQUEST,
            "invalid_name",
            "empty",
        ),
        (
            json!({"user": "reader"}),
            StatusCode::BAD_REQUEST,
            "invalid_role",
            "`role` is required",
        ),
        (
            json!({"user": "reader", "role": "root"}),
            StatusCode::BAD_REQUEST,
            "invalid_role",
            "root",
        ),
        (
            json!({"user": "reader", "role": "reader", "expires_at": "tomorrow"}),
            StatusCode::BAD_REQUEST,
            "invalid_expires_at",
            "RFC 3339",
        ),
        (
            json!({"user": "reader", "role": "reader", "expires_at": "2001-01-01T00:00:00Z"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_expires_at",
            "future",
        ),
        (
            json!({"user": "reader", "role": "reader", "owner": "x"}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "owner",
        ),
    ];
    for (body, status, code, needle) in cases {
        expect_error(
            app.post_json("/v1/tokens", &body).await,
            status,
            code,
            needle,
        )
        .await;
    }
    let listed = expect_json(app.get("/v1/tokens").await, StatusCode::OK).await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(Role::ALL.len())
    );
    let users = expect_json(app.get("/v1/users").await, StatusCode::OK).await;
    assert_eq!(
        users["items"].as_array().map(Vec::len),
        Some(Role::ALL.len()),
        "no user was made by a refused token: {users}"
    );
    expect_error(
        app.request(Method::POST, "/v1/tokens/999/revoke")
            .send()
            .await
            .expect("POST"),
        StatusCode::NOT_FOUND,
        "token_not_found",
        "999",
    )
    .await;
    let malformed = app
        .request_with(None, Method::GET, "/v1/keywords")
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .expect("GET");
    expect_error(
        malformed,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Bearer",
    )
    .await;
    // The scheme name is case-insensitive.
    let lower = app
        .request_with(None, Method::GET, "/v1/keywords")
        .header(
            "Authorization",
            format!("bearer {}", app.secrets[&Role::Reader]),
        )
        .send()
        .await
        .expect("GET");
    expect_json(lower, StatusCode::OK).await;
}

#[tokio::test]
async fn the_first_admin_token_comes_from_the_cli() {
    let app = TestApp::spawn().await;
    let (data_dir, database_url) = app.stop().await;
    // The user `ops` does not exist yet: the command line creates it with its first token.
    let args = ["token", "create", "--user", "ops", "--role", "admin"];
    let output = run_cli(&args, data_dir.path(), &database_url);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains("user") && log.contains("`ops` created"),
        "{log}"
    );
    let secret = String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned();

    let app = TestApp::spawn_on(data_dir, database_url).await;
    let me = expect_json(
        app.request_with(Some(&secret), Method::GET, "/v1/tokens")
            .send()
            .await
            .expect("GET"),
        StatusCode::OK,
    )
    .await;
    assert!(
        me["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["user"] == "ops" && t["name"] == "ops" && t["created_by"] == "cli")
    );
    let users = expect_json(
        app.request_with(Some(&secret), Method::GET, "/v1/users")
            .send()
            .await
            .expect("GET"),
        StatusCode::OK,
    )
    .await;
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "ops" && u["created_by"] == "cli"),
        "{users}"
    );

    let args = ["token", "create", "--user", "ops", "--role", "root"];
    let refused = run_cli(&args, app.data_dir(), &app.database_url);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("root"));
}

#[tokio::test]
async fn a_percent_encoded_path_does_not_slip_past_the_rules() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (Method::POST, "/v1/%74okens/1/revoke"),
        (Method::GET, "/v1/%61udit"),
        (Method::GET, "/v1/builds/1/%61rtifact"),
    ] {
        for secret in [None, Some(app.secrets[&Role::Admin].clone())] {
            let response = app
                .request_with(secret.as_deref(), method.clone(), path)
                .send()
                .await
                .expect("request");
            expect_error(response, StatusCode::NOT_FOUND, "not_found", path).await;
        }
    }
    // Token 1 (the reader's) still works: the revoke never ran.
    let reader = app
        .request_as(Some(Role::Reader), Method::GET, "/v1/risks")
        .send()
        .await
        .expect("GET");
    expect_json(reader, StatusCode::OK).await;
}

#[tokio::test]
async fn a_token_tells_its_holder_who_they_are() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        let me = expect_json(
            app.request_as(Some(role), Method::GET, "/v1/me")
                .send()
                .await
                .expect("GET"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["name"], role.as_str());
        assert_eq!(me["role"], role.as_str());
        assert_eq!(me["four_eyes"], true);
    }
}
