//! A client of OpenAI-compatible chat-completions endpoints (`POST {base}/chat/completions`),
//! the interface Chinese model-serving stacks share: one question in, the model's answer out,
//! with retries, pacing and a timeout per request. Knows nothing of runs or the store.
//!
//! Retried, up to `max_retries` times after the first attempt: timeouts, transport errors,
//! `429`, `5xx`, a body that is not the expected JSON, and a response without a choice. Not
//! retried: other `4xx` (a bad key or request will not get better) and an empty answer cut
//! short. The wait before retry `n` is `backoff_ms · 2^(n-1)` (at most a minute), scaled by a
//! random factor in [0.5, 1] so that requests refused together do not come back together; a
//! `Retry-After` (in seconds, at most a minute) on the refusing response is waited instead
//! when longer.
//!
//! A choice whose content is empty or `null` is an answer (an empty one: serving stacks
//! answer so when their own filter blocks, `finish_reason` `content_filter`) when it finished
//! for that reason, `stop`, or none given; empty content cut short for another reason
//! (`length`: a reasoning model spent its tokens) is a failure, not a refusal.
//!
//! The key travels only in the `Authorization` header, and is cut out of every failure
//! message (an endpoint may echo it in an error body).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::domain::model_call::CallSettings;

/// The largest response body read; beyond it the response counts as malformed.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// An API key read from the environment; never printed.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key in environment variable `name`; `None` when it is unset or empty.
    pub fn from_env(name: &str) -> Option<Self> {
        std::env::var(name)
            .ok()
            .filter(|key| !key.trim().is_empty())
            .map(|key| Self(key.trim().to_owned()))
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(…)")
    }
}

/// The model's answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub content: String,
    pub finish_reason: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
}

/// Why no answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// No complete response within the timeout.
    Timeout,
    /// The connection failed or broke.
    Transport,
    /// `429 Too Many Requests`.
    RateLimited,
    /// A `5xx` status.
    ServerError,
    /// Another `4xx` status (a bad key, a refused request): not retried.
    ClientError,
    /// A body that is not a chat completion.
    Malformed,
    /// A completion without any choice.
    EmptyChoice,
    /// A choice without content that finished for another reason than a stop or a filter
    /// (`length`): not retried.
    EmptyAnswer,
}

impl FailureKind {
    pub const ALL: [FailureKind; 8] = [
        Self::Timeout,
        Self::Transport,
        Self::RateLimited,
        Self::ServerError,
        Self::ClientError,
        Self::Malformed,
        Self::EmptyChoice,
        Self::EmptyAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::RateLimited => "rate_limited",
            Self::ServerError => "server_error",
            Self::ClientError => "client_error",
            Self::Malformed => "malformed",
            Self::EmptyChoice => "empty_choice",
            Self::EmptyAnswer => "empty_answer",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    fn retried(self) -> bool {
        !matches!(self, Self::ClientError | Self::EmptyAnswer)
    }
}

/// What went wrong with the last attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// For people: the status and the start of the body, or the transport's error.
    pub message: String,
    /// The response's status, when one came.
    pub status: Option<u16>,
}

impl Failure {
    /// A refusal that every other question would get too: the key is wrong (`401`), not
    /// allowed (`403`), or the endpoint or model does not exist (`404`). Asking on would only
    /// repeat it, and may get the account locked.
    pub fn stops_the_call(&self) -> bool {
        matches!(self.status, Some(401 | 403 | 404))
    }
}

/// What asking one question came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub result: Result<Completion, Failure>,
    /// Requests sent (1 without retries).
    pub attempts: u32,
    /// Time of the last attempt.
    pub latency: Duration,
}

/// Asks questions of one endpoint with one call's settings; shared by the call's concurrent
/// requests.
pub struct ChatClient {
    http: reqwest::Client,
    url: String,
    settings: CallSettings,
    key: Option<ApiKey>,
    pacing: Option<Pacing>,
}

impl ChatClient {
    pub fn new(settings: CallSettings, key: Option<ApiKey>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(settings.concurrency as usize)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let pacing = settings.requests_per_second.map(Pacing::new);
        Ok(Self {
            http,
            url: settings.completions_url(),
            settings,
            key,
            pacing,
        })
    }

    /// The settings the client asks with.
    pub fn settings(&self) -> &CallSettings {
        &self.settings
    }

    /// Asks `question`, retrying as the module says.
    pub async fn ask(&self, question: &str) -> Outcome {
        let body = self.request_body(question);
        let mut attempts = 0;
        loop {
            attempts += 1;
            if let Some(pacing) = &self.pacing {
                pacing.wait().await;
            }
            let started = Instant::now();
            let result = self
                .attempt(&body)
                .await
                .map_err(|(failure, wait)| (self.redacted(failure), wait));
            let latency = started.elapsed();
            match result {
                Err((failure, retry_after))
                    if failure.kind.retried() && attempts <= self.settings.max_retries =>
                {
                    tokio::time::sleep(self.backoff(attempts, retry_after)).await;
                }
                result => {
                    return Outcome {
                        result: result.map_err(|(failure, _)| failure),
                        attempts,
                        latency,
                    };
                }
            }
        }
    }

    /// `failure` with the key cut out of its message.
    fn redacted(&self, mut failure: Failure) -> Failure {
        if let Some(ApiKey(key)) = &self.key {
            failure.message = failure.message.replace(key.as_str(), "[key]");
        }
        failure
    }

    fn request_body(&self, question: &str) -> Vec<u8> {
        let mut messages = Vec::with_capacity(2);
        if let Some(system) = &self.settings.system_prompt {
            messages.push(serde_json::json!({"role": "system", "content": system}));
        }
        messages.push(serde_json::json!({"role": "user", "content": question}));
        let mut body = serde_json::json!({
            "model": self.settings.model,
            "messages": messages,
            "stream": false,
        });
        if let Some(temperature) = self.settings.temperature {
            body["temperature"] = temperature.into();
        }
        if let Some(max_tokens) = self.settings.max_tokens {
            body["max_tokens"] = max_tokens.into();
        }
        body.to_string().into_bytes()
    }

    /// One request; on failure, the wait the endpoint asked for (`Retry-After`), if any.
    async fn attempt(&self, body: &[u8]) -> Result<Completion, (Failure, Option<Duration>)> {
        let fail = |kind, message: String| {
            let failure = Failure {
                kind,
                message,
                status: None,
            };
            (failure, None)
        };
        let mut request = self
            .http
            .post(&self.url)
            .timeout(Duration::from_millis(u64::from(self.settings.timeout_ms)))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(ApiKey(key)) = &self.key {
            request = request.bearer_auth(key);
        }
        let mut response = request.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() <= MAX_BODY_BYTES => {
                    bytes.extend_from_slice(&chunk);
                }
                Ok(Some(_)) => {
                    let message = format!("response body over {MAX_BODY_BYTES} bytes");
                    return Err(fail(FailureKind::Malformed, message));
                }
                Ok(None) => break,
                Err(e) => return Err(transport(&e)),
            }
        }
        if !status.is_success() {
            let kind = match status.as_u16() {
                429 => FailureKind::RateLimited,
                500..=599 => FailureKind::ServerError,
                _ => FailureKind::ClientError,
            };
            let message = format!("HTTP {status}: {}", excerpt(&bytes));
            let status = Some(status.as_u16());
            return Err((
                Failure {
                    kind,
                    message,
                    status,
                },
                retry_after,
            ));
        }
        parse_completion(&bytes).map_err(|failure| (failure, None))
    }

    /// The wait before retry `attempt` (1 for the first retry).
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let base = Duration::from_millis(u64::from(self.settings.backoff_ms))
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        let jitter =
            0.5 + f64::from(getrandom::u32().unwrap_or(u32::MAX)) / f64::from(u32::MAX) / 2.0;
        let wait = base.mul_f64(jitter);
        retry_after.map_or(wait, |asked| asked.min(MAX_BACKOFF).max(wait))
    }
}

fn transport(error: &reqwest::Error) -> (Failure, Option<Duration>) {
    let kind = if error.is_timeout() {
        FailureKind::Timeout
    } else {
        FailureKind::Transport
    };
    // The error names the URL (never the key: it travels in a header).
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    (
        Failure {
            kind,
            message,
            status: None,
        },
        None,
    )
}

/// A `Retry-After` given in seconds (the form model servers use).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: f64 = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(60.0)))
}

/// The first 300 characters of a body, for an error message.
fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().take(300).collect()
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<Message>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<Content>,
}

/// A message's content: a string, or a list of parts of which the text ones count.
#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Deserialize)]
struct Part {
    text: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
}

/// The first choice's answer in a chat-completions body.
fn parse_completion(bytes: &[u8]) -> Result<Completion, Failure> {
    let fail = |kind, message| Failure {
        kind,
        message,
        status: Some(200),
    };
    let response: ChatResponse = serde_json::from_slice(bytes).map_err(|e| {
        let message = format!("not a chat completion ({e}): {}", excerpt(bytes));
        fail(FailureKind::Malformed, message)
    })?;
    let Some(choice) = response.choices.into_iter().next() else {
        let message = format!("no choice in the response: {}", excerpt(bytes));
        return Err(fail(FailureKind::EmptyChoice, message));
    };
    let content = match choice.message.and_then(|message| message.content) {
        None => String::new(),
        Some(Content::Text(text)) => text,
        Some(Content::Parts(parts)) => parts.into_iter().filter_map(|part| part.text).collect(),
    };
    let finished_for = choice.finish_reason.as_deref();
    if content.trim().is_empty() && !matches!(finished_for, None | Some("stop" | "content_filter"))
    {
        let message = format!(
            "no content, finish_reason {}",
            finished_for.unwrap_or_default()
        );
        return Err(fail(FailureKind::EmptyAnswer, message));
    }
    let usage = response.usage;
    Ok(Completion {
        content,
        finish_reason: choice.finish_reason,
        prompt_tokens: usage.as_ref().and_then(|u| u.prompt_tokens),
        completion_tokens: usage.as_ref().and_then(|u| u.completion_tokens),
    })
}

/// Starts at most one request per `interval`, whoever asks: each caller takes the next free
/// slot and waits for it, so the rate holds without bursts.
struct Pacing {
    interval: Duration,
    next: std::sync::Mutex<tokio::time::Instant>,
}

impl Pacing {
    fn new(per_second: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: std::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completion_is_read_with_its_usage() {
        let body = r#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"你好"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#;
        let completion = parse_completion(body.as_bytes()).unwrap();
        assert_eq!(completion.content, "你好");
        assert_eq!(completion.finish_reason.as_deref(), Some("stop"));
        assert_eq!(
            (completion.prompt_tokens, completion.completion_tokens),
            (Some(12), Some(3))
        );
    }

    #[test]
    fn null_content_and_text_parts_are_answers() {
        let blocked =
            br#"{"choices":[{"message":{"content":null},"finish_reason":"content_filter"}]}"#;
        assert_eq!(parse_completion(blocked).unwrap().content, "");
        let parts = r#"{"choices":[{"message":{"content":[{"type":"text","text":"一"},{"type":"text","text":"二"}]}}]}"#;
        assert_eq!(parse_completion(parts.as_bytes()).unwrap().content, "一二");
    }

    #[test]
    fn bodies_that_are_no_completion_fail_by_kind() {
        let kind = |body: &[u8]| parse_completion(body).unwrap_err().kind;
        assert_eq!(kind(b"<html>502</html>"), FailureKind::Malformed);
        assert_eq!(
            kind(br#"{"error":{"message":"overloaded"}}"#),
            FailureKind::Malformed
        );
        assert_eq!(kind(br#"{"choices":[]}"#), FailureKind::EmptyChoice);
        let cut_short = br#"{"choices":[{"message":{"content":""},"finish_reason":"length"}]}"#;
        assert_eq!(kind(cut_short), FailureKind::EmptyAnswer);
    }

    #[test]
    fn the_key_is_cut_out_of_failure_messages_and_bad_keys_stop_the_call() {
        let settings = crate::domain::model_call::CallSettings::parse(
            crate::domain::model_call::RawCallSettings {
                base_url: Some("http://127.0.0.1:9/v1".to_owned()),
                model: Some("m".to_owned()),
                ..Default::default()
            },
        )
        .unwrap();
        let client = ChatClient::new(settings, Some(ApiKey("sk-secret".to_owned()))).unwrap();
        let echoed = Failure {
            kind: FailureKind::ClientError,
            message: "HTTP 401: invalid key sk-secret".to_owned(),
            status: Some(401),
        };
        let redacted = client.redacted(echoed);
        assert_eq!(redacted.message, "HTTP 401: invalid key [key]");
        assert!(redacted.stops_the_call());
        let busy = Failure {
            status: Some(429),
            ..redacted
        };
        assert!(!busy.stops_the_call());
    }

    #[test]
    fn backoff_doubles_within_its_jitter_and_a_longer_retry_after_wins() {
        let settings = crate::domain::model_call::CallSettings::parse(
            crate::domain::model_call::RawCallSettings {
                base_url: Some("http://127.0.0.1:9/v1".to_owned()),
                model: Some("m".to_owned()),
                backoff_ms: Some(100),
                ..Default::default()
            },
        )
        .unwrap();
        let client = ChatClient::new(settings, None).unwrap();
        for (attempt, full) in [(1, 100), (2, 200), (3, 400)] {
            let wait = client.backoff(attempt, None);
            let full = Duration::from_millis(full);
            assert!(wait >= full / 2 && wait <= full, "{attempt}: {wait:?}");
        }
        let asked = Duration::from_secs(5);
        assert_eq!(client.backoff(1, Some(asked)), asked);
        assert!(client.backoff(30, None) <= MAX_BACKOFF);
    }

    #[test]
    fn failure_kinds_round_trip_their_names() {
        for kind in FailureKind::ALL {
            assert_eq!(FailureKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
    }

    #[test]
    fn the_key_is_never_printed() {
        let key = ApiKey("sk-secret".to_owned());
        assert!(!format!("{key:?}").contains("secret"));
    }

    #[tokio::test(start_paused = true)]
    async fn pacing_spaces_requests_by_the_rate() {
        let pacing = Pacing::new(4.0);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            pacing.wait().await;
        }
        // Slots at 0, 250, 500, 750 and 1000 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }
}
