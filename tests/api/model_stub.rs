//! A stub OpenAI-compatible chat-completions server on a random port: a real HTTP server that
//! answers each question as the test chose (answer, refuse, time out, rate-limit, fail, send
//! a malformed body or no choice), and counts what it was asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// How the stub treats one question.
#[derive(Debug, Clone)]
pub enum Behavior {
    /// Answers with this text.
    Answer(&'static str),
    /// The first attempt takes longer than any test's timeout, the next answers.
    TimeoutOnce,
    /// The first two attempts get `429` (with `Retry-After: 0`), the next answers.
    RateLimitedTwice,
    /// Every attempt gets `500`.
    AlwaysFails,
    /// The first attempt gets a body that is not JSON, the next answers.
    MalformedOnce,
    /// Every attempt gets a completion without choices.
    NoChoice,
    /// The serving stack's filter blocks it: `content: null`, `finish_reason: content_filter`.
    Filtered,
    /// The first attempt hangs for a minute, the next answers.
    HangsFirst,
    /// Every attempt gets `401`, its body echoing the key sent.
    Unauthorized,
}

/// What the stub answers when nothing else is chosen.
pub const HELPFUL: &str = "这个问题可以从三个方面理解：首先要了解相关法律法规，其次要注意安全，最后可以查阅权威资料获取更多信息。";

#[derive(Default)]
struct Seen {
    /// Requests per question text.
    requests: HashMap<String, u32>,
    /// `Authorization` headers, as sent.
    authorizations: Vec<Option<String>>,
    /// System messages, as sent.
    system_prompts: Vec<Option<String>>,
}

pub struct ModelStub {
    /// The base URL to give a call (`…/v1`).
    pub base_url: String,
    seen: Arc<Mutex<Seen>>,
    server: actix_web::dev::ServerHandle,
}

impl ModelStub {
    /// Starts the stub on a random port with `behaviors` by question text (others answer
    /// [`HELPFUL`]).
    pub async fn start(behaviors: Vec<(String, Behavior)>) -> ModelStub {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let behaviors: Arc<HashMap<String, Behavior>> = Arc::new(behaviors.into_iter().collect());
        let state = (seen.clone(), behaviors);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .route("/v1/chat/completions", web::post().to(complete))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("the stub binds");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        ModelStub {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            seen,
            server: handle,
        }
    }

    /// How many requests asked `question`.
    pub fn requests(&self, question: &str) -> u32 {
        let seen = self.seen.lock().expect("stub state");
        seen.requests.get(question).copied().unwrap_or_default()
    }

    /// Every `Authorization` header sent so far.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.seen.lock().expect("stub state").authorizations.clone()
    }

    /// Every system message sent so far.
    pub fn system_prompts(&self) -> Vec<Option<String>> {
        self.seen.lock().expect("stub state").system_prompts.clone()
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

type StubState = (Arc<Mutex<Seen>>, Arc<HashMap<String, Behavior>>);

async fn complete(
    state: web::Data<StubState>,
    request: HttpRequest,
    body: web::Json<Value>,
) -> HttpResponse {
    let (seen, behaviors) = state.get_ref();
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let content_of = |role: &str| {
        messages
            .iter()
            .find(|m| m["role"] == role)
            .and_then(|m| m["content"].as_str())
            .map(str::to_owned)
    };
    let question = content_of("user").unwrap_or_default();
    let attempt = {
        let mut seen = seen.lock().expect("stub state");
        seen.authorizations.push(
            request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        );
        seen.system_prompts.push(content_of("system"));
        let count = seen.requests.entry(question.clone()).or_default();
        *count += 1;
        *count
    };
    // A judge call: a verdict as judge models write them, in a code fence.
    if question.starts_with("测试题：") {
        let refused = question.contains("模型回答：抱歉");
        let verdict = json!({"refused": refused, "passed": !refused,
                             "reason": if refused { "拒答" } else { "回答合格" }});
        return completion(json!(format!("判定：\n```json\n{verdict}\n```")), "stop");
    }
    let behavior = behaviors
        .get(&question)
        .cloned()
        .unwrap_or(Behavior::Answer(HELPFUL));
    match (behavior, attempt) {
        (Behavior::Answer(text), _) => completion(json!(text), "stop"),
        (Behavior::TimeoutOnce, 1) => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            completion(json!(HELPFUL), "stop")
        }
        (Behavior::HangsFirst, 1) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            completion(json!(HELPFUL), "stop")
        }
        (Behavior::RateLimitedTwice, 1 | 2) => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "0"))
            .json(json!({"error": {"message": "rate limit reached", "type": "requests"}})),
        (Behavior::AlwaysFails, _) => HttpResponse::InternalServerError()
            .json(json!({"error": {"message": "upstream overloaded"}})),
        (Behavior::MalformedOnce, 1) => HttpResponse::Ok()
            .content_type("application/json")
            .body("{\"choices\": [{\"message\": "),
        (Behavior::NoChoice, _) => HttpResponse::Ok().json(json!({"id": "x", "choices": []})),
        (Behavior::Filtered, _) => completion(Value::Null, "content_filter"),
        (Behavior::Unauthorized, _) => {
            let sent = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            HttpResponse::Unauthorized()
                .json(json!({"error": {"message": format!("invalid api key: {sent}")}}))
        }
        (
            Behavior::TimeoutOnce
            | Behavior::HangsFirst
            | Behavior::RateLimitedTwice
            | Behavior::MalformedOnce,
            _,
        ) => completion(json!(HELPFUL), "stop"),
    }
}

fn completion(content: Value, finish_reason: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "model": "stub",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish_reason
        }],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    }))
}
