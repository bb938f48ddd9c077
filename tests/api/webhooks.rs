//! Webhooks: each published build is POSTed, signed, to every registered receiver, retried
//! with backoff until it answers 2xx, with every attempt in the delivery log. The receiver is
//! a real HTTP server on a random port that fails as the test tells it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error, expect_json};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A webhook receiver answering `500` to its first `failures` requests, then `204`.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    server: actix_web::dev::ServerHandle,
}

type ReceiverState = (Arc<Mutex<Vec<Received>>>, usize);

async fn receive(
    state: web::Data<ReceiverState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (received, failures) = state.get_ref();
    let mut received = received.lock().unwrap();
    received.push(Received {
        headers: request
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
        body: body.to_vec(),
    });
    if received.len() <= *failures {
        HttpResponse::InternalServerError().body("not yet")
    } else {
        HttpResponse::NoContent().finish()
    }
}

impl Receiver {
    async fn start(failures: usize) -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let state: ReceiverState = (received.clone(), failures);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("the receiver binds");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook?team=filter"),
            received,
            server: handle,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// What a receiver computes to check a delivery: HMAC-SHA256 of `<timestamp>.<body>`.
fn expected_signature(secret: &str, delivery: &Received) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(delivery.header("X-Lexset-Timestamp").as_bytes());
    mac.update(b".");
    mac.update(&delivery.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Polls the hook's deliveries until `done` holds of the newest (20 s at most: a hang, not
/// a timing target).
async fn delivery_when(app: &TestApp, hook: i64, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let log = expect_json(
            app.get(&format!("/v1/webhooks/{hook}/deliveries")).await,
            StatusCode::OK,
        )
        .await;
        if let Some(newest) = log["items"].get(0).filter(|d| done(d)) {
            return newest.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery did not get there");
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_signed_build_on_the_third_attempt() {
    let receiver = Receiver::start(2).await;
    let app = TestApp::spawn().await;
    let created = app
        .post_json("/v1/webhooks", &json!({ "url": receiver.url }))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let hook = created.json::<Value>().await.unwrap();
    let secret = hook["secret"]
        .as_str()
        .expect("the secret, shown once")
        .to_owned();
    assert_eq!(secret.len(), 64);
    let id = hook["id"].as_i64().unwrap();
    assert_eq!(location, format!("/v1/webhooks/{id}"));
    let read = expect_json(app.get(&location).await, StatusCode::OK).await;
    assert!(read.get("secret").is_none(), "{read}");

    app.approved_keyword("法轮功", "A.1.a", "block").await;
    let number = app.build().await;
    let delivery = delivery_when(&app, id, |d| d["status"] == "delivered").await;
    assert_eq!(delivery["build"], number);
    assert_eq!(delivery["attempts"], 3);
    let log = delivery["log"].as_array().unwrap();
    let statuses: Vec<&Value> = log.iter().map(|a| &a["status_code"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(204)]);
    assert!(log[0]["error"].as_str().unwrap().contains("500"));
    assert!(log[2]["error"].is_null());

    let received = receiver.received();
    assert_eq!(received.len(), 3);
    for attempt in &received {
        assert_eq!(attempt.header("X-Lexset-Event"), "build.published");
        assert_eq!(
            attempt.header("X-Lexset-Delivery"),
            delivery["id"].to_string()
        );
        assert_eq!(
            attempt.header("X-Lexset-Signature"),
            expected_signature(&secret, attempt)
        );
    }
    // The second retry waited longer than the first (1 s, then 2 s).
    let at = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(log[i]["attempted_at"].as_str().unwrap()).unwrap()
    };
    assert!(at(2) - at(1) > at(1) - at(0));
    let body: Value = serde_json::from_slice(&received[2].body).unwrap();
    assert_eq!(body["build"], number);
    let build = expect_json(
        app.get(&format!("/v1/builds/{number}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["sha256"], build["sha256"]);
    assert!(body["manifest"]["payload"].is_string());

    // A forged body does not carry the signature of the real one.
    let mut forged = received[2].clone();
    forged.body = br#"{"build":999}"#.to_vec();
    assert_ne!(
        received[2].header("X-Lexset-Signature"),
        expected_signature(&secret, &forged)
    );
    receiver.server.stop(false).await;
}

#[tokio::test]
async fn a_removed_webhook_gets_nothing_more_and_keeps_its_log() {
    let receiver = Receiver::start(0).await;
    let app = TestApp::spawn().await;
    let hook = expect_json(
        app.post_json("/v1/webhooks", &json!({ "url": receiver.url }))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = hook["id"].as_i64().unwrap();
    app.approved_keyword("法轮功", "A.1.a", "block").await;
    app.build().await;
    delivery_when(&app, id, |d| d["status"] == "delivered").await;

    let removed = app
        .request(Method::DELETE, &format!("/v1/webhooks/{id}"))
        .send()
        .await
        .unwrap();
    let removed = expect_json(removed, StatusCode::OK).await;
    assert!(removed["removed_at"].is_string());
    app.build().await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.received().len(), 1);
    let log = expect_json(
        app.get(&format!("/v1/webhooks/{id}/deliveries")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
    let listed = expect_json(app.get("/v1/webhooks").await, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["id"], id);
    assert!(listed["items"][0].get("secret").is_none());
    receiver.server.stop(false).await;
}

#[tokio::test]
async fn bad_registrations_and_other_roles_are_refused() {
    let app = TestApp::spawn().await;
    for url in [
        "",
        "hooks.example.cn",
        "ftp://x/",
        "https://u:p@x/",
        "https://x/#f",
    ] {
        expect_error(
            app.post_json("/v1/webhooks", &json!({ "url": url })).await,
            StatusCode::BAD_REQUEST,
            "invalid_url",
            "url",
        )
        .await;
    }
    expect_error(
        app.post_json("/v1/webhooks", &json!({})).await,
        StatusCode::BAD_REQUEST,
        "invalid_url",
        "required",
    )
    .await;
    expect_error(
        app.get("/v1/webhooks/42").await,
        StatusCode::NOT_FOUND,
        "webhook_not_found",
        "42",
    )
    .await;
    expect_error(
        app.get("/v1/webhooks/42/deliveries?limit=0").await,
        StatusCode::BAD_REQUEST,
        "invalid_limit",
        "limit",
    )
    .await;
    let as_reviewer = app
        .request_as(
            Some(lexset::domain::role::Role::Reviewer),
            Method::GET,
            "/v1/webhooks",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(as_reviewer.status(), StatusCode::FORBIDDEN);
    let listed = expect_json(app.get("/v1/webhooks").await, StatusCode::OK).await;
    assert!(listed["items"].as_array().unwrap().is_empty());
}
