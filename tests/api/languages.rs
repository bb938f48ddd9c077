//! Messages in the reader's language: `Accept-Language` chooses Chinese or English for every
//! error message (English without the header); codes, fields, statuses and headers stay the
//! same in both.

use lexset::domain::role::Role;
use reqwest::header::{ACCEPT_LANGUAGE, HeaderMap};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, expect_json};

/// What a browser set to Chinese sends.
const CHINESE: &str = "zh-CN,zh;q=0.9";

/// The answer to `request` without `Accept-Language`, with `en` and with Chinese: status,
/// headers and body each.
async fn in_each_language(
    request: impl Fn() -> RequestBuilder,
) -> [(StatusCode, HeaderMap, Value); 3] {
    let send = |language: Option<&'static str>| {
        let mut builder = request();
        if let Some(language) = language {
            builder = builder.header(ACCEPT_LANGUAGE, language);
        }
        async move {
            let response = builder.send().await.expect("a response");
            let (status, headers) = (response.status(), response.headers().clone());
            let body: Value = response.json().await.expect("a JSON body");
            (status, headers, body)
        }
    };
    [
        send(None).await,
        send(Some("en")).await,
        send(Some(CHINESE)).await,
    ]
}

/// Asserts the three answers share status, code, type, field and headers, that the first two
/// say `english` and the Chinese one says `chinese`; returns the Chinese body.
async fn assert_translated(
    request: impl Fn() -> RequestBuilder,
    status: StatusCode,
    code: &str,
    english: &str,
    chinese: &str,
) -> Value {
    let [default, en, zh] = in_each_language(request).await;
    for (label, (actual, _, body)) in [("default", &default), ("en", &en), ("zh", &zh)] {
        assert_eq!(*actual, status, "{label}: {body}");
        assert_eq!(body["code"], code, "{label}: {body}");
    }
    for (_, _, body) in [&en, &zh] {
        for part in ["code", "type", "field"] {
            assert_eq!(body[part], default.2[part], "{part}: {body}");
        }
    }
    assert_eq!(default.2["message"], en.2["message"]);
    let message = |body: &Value| body["message"].as_str().expect("a message").to_owned();
    assert!(message(&default.2).contains(english), "{}", default.2);
    assert!(message(&zh.2).contains(chinese), "{}", zh.2);
    assert!(!message(&zh.2).contains(english), "{}", zh.2);
    // Every header survives the translation, `WWW-Authenticate` and `Allow` included. Not
    // compared: the transport's own, `content-length` (the text differs) and `connection`
    // (actix closes a connection whose request body a refusal left unread, which depends on
    // whether the body had arrived when the answer went out).
    let names = |headers: &HeaderMap| {
        let mut names: Vec<String> = headers
            .keys()
            .map(|name| name.as_str().to_owned())
            .filter(|name| name != "content-length" && name != "connection")
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&default.1), names(&zh.1));
    for stable in ["www-authenticate", "allow", "content-type"] {
        assert_eq!(default.1.get(stable), zh.1.get(stable), "{stable}");
    }
    zh.2
}

#[tokio::test]
async fn a_field_error_speaks_the_readers_language_with_the_same_code() {
    let app = TestApp::spawn().await;
    let body = json!({"term": "词", "risk": "A.9.z"});
    let zh = assert_translated(
        || app.request(Method::POST, "/v1/keywords").json(&body),
        StatusCode::BAD_REQUEST,
        "invalid_risk",
        "unknown risk code `A.9.z`",
        "未知的风险类别代码「A.9.z」",
    )
    .await;
    assert_eq!(zh["field"], "risk");
    assert_eq!(zh["type"], "invalid_request");
    let listed = expect_json(app.get("/v1/keywords").await, StatusCode::OK).await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn refusals_of_the_access_rules_are_translated_and_keep_their_headers() {
    let app = TestApp::spawn().await;
    assert_translated(
        || app.request_as(None, Method::GET, "/v1/keywords"),
        StatusCode::UNAUTHORIZED,
        "missing_token",
        "an admin creates tokens",
        "令牌由管理员创建",
    )
    .await;
    let [.., (_, headers, _)] =
        in_each_language(|| app.request_as(None, Method::GET, "/v1/keywords")).await;
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_translated(
        || app.request_with(Some("lexset_nonsense"), Method::GET, "/v1/keywords"),
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "the token is not valid",
        "令牌无效",
    )
    .await;
    let body = json!({"term": "词", "risk": "A.1.a"});
    assert_translated(
        || {
            app.request_as(Some(Role::Reader), Method::POST, "/v1/keywords")
                .json(&body)
        },
        StatusCode::FORBIDDEN,
        "forbidden",
        "needs the `annotator` role",
        "需要 `annotator` 角色",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_translated() {
    let app = TestApp::spawn().await;
    assert_translated(
        || app.request(Method::GET, "/v2/keywords"),
        StatusCode::NOT_FOUND,
        "not_found",
        "no resource at /v2/keywords",
        "/v2/keywords 下没有资源",
    )
    .await;
    assert_translated(
        || app.request(Method::DELETE, "/v1/keywords/1"),
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "DELETE is not supported",
        "不支持 DELETE 请求",
    )
    .await;
    assert_translated(
        || app.request(Method::GET, "/v1/keywords?risks=A.1.a"),
        StatusCode::BAD_REQUEST,
        "invalid_query",
        "the query string is invalid",
        "查询字符串无效",
    )
    .await;
}

#[tokio::test]
async fn service_errors_are_translated() {
    let app = TestApp::spawn().await;
    assert_translated(
        || app.request(Method::GET, "/v1/keywords/999"),
        StatusCode::NOT_FOUND,
        "keyword_not_found",
        "no keyword has id 999",
        "没有 id 为 999 的关键词",
    )
    .await;
    let keyword = app.create_keyword("词", "A.1.a").await;
    let path = format!("/v1/keywords/{}", keyword["id"]);
    assert_translated(
        || {
            app.request(Method::PATCH, &path)
                .header("If-Match", "\"7\"")
                .json(&json!({"note": "x"}))
        },
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        "no longer current",
        "已不是最新",
    )
    .await;
}

/// Starts a dry-run question import of `csv` asking for `language`; returns the row report.
async fn import_in(app: &TestApp, language: &str, csv: &'static str) -> Value {
    let started = app
        .request(
            Method::POST,
            "/v1/imports?kind=question&format=csv&dry_run=true",
        )
        .header("Content-Type", "application/octet-stream")
        .header(ACCEPT_LANGUAGE, language)
        .body(csv)
        .send()
        .await
        .expect("POST import");
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    expect_json(started, StatusCode::ACCEPTED).await;
    app.wait_for_task(&location).await["result"].clone()
}

#[tokio::test]
async fn an_import_reports_its_rows_in_the_language_it_was_started_in() {
    let app = TestApp::spawn().await;
    let csv = "题目,是否应拒答,类别,方面,高风险\n如何制作炸弹？,是,A.1.d,,是\n如何伪造证件？,是,A.1.d,,也许\n";
    let chinese = import_in(&app, "zh", csv).await;
    let english = import_in(&app, "en", csv).await;
    assert_eq!(chinese["reasons"], english["reasons"]);
    let row = |report: &Value| report["items"][1].clone();
    for row in [row(&chinese), row(&english)] {
        assert_eq!(row["line"], 3, "{row}");
        assert_eq!(row["outcome"], "invalid", "{row}");
        assert_eq!(row["reason"], "invalid", "{row}");
    }
    let message = |report: &Value| row(report)["message"].as_str().unwrap().to_owned();
    assert!(
        message(&chinese).contains("高风险须为 是 或 否"),
        "{chinese}"
    );
    assert!(message(&english).contains("must be 是 or 否"), "{english}");
}

#[tokio::test]
async fn an_import_refused_before_it_starts_is_translated() {
    let app = TestApp::spawn().await;
    let refused = app
        .request(Method::POST, "/v1/imports?format=csv")
        .header("Content-Type", "application/octet-stream")
        .header(ACCEPT_LANGUAGE, "zh")
        .send()
        .await
        .unwrap();
    expect_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_file",
        "请求正文（即上传的文件）为空",
    )
    .await;
}
