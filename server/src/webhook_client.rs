//! POSTing one signed event to a webhook receiver: the body, its signature headers, one
//! attempt with a timeout. Retries and the log are the caller's (`services::webhooks`).
//!
//! Signature (`docs/deploy.md`, "Filter services"; the key is the secret's hex text as bytes): `X-Lexset-Signature: sha256=<hex>`, the
//! HMAC-SHA256 under the webhook's secret of `<X-Lexset-Timestamp>.<body>`; a receiver
//! recomputes it over the raw body and refuses a stale timestamp, so a recorded delivery
//! cannot be replayed later.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's status, if it answered.
    pub status_code: Option<u16>,
    /// Why it failed (no answer, or a status other than 2xx).
    pub error: Option<String>,
    pub duration: Duration,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// The `X-Lexset-Signature` value of `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}

/// Sends webhook deliveries.
#[derive(Clone)]
pub struct WebhookClient {
    client: reqwest::Client,
}

impl WebhookClient {
    pub fn new() -> Result<Self, String> {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            // A redirect would resend the signed body elsewhere: a receiver answers, or fails.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lexset/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(|client| Self { client })
            .map_err(|e| format!("cannot set up the webhook client: {e}"))
    }

    /// POSTs `body` (JSON) as event `event`, delivery `delivery`, signed with `secret`.
    pub async fn post(
        &self,
        url: &str,
        secret: &str,
        event: &str,
        delivery: i64,
        body: Vec<u8>,
    ) -> Attempt {
        let timestamp = chrono::Utc::now().timestamp();
        let started = Instant::now();
        let sent = self
            .client
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Lexset-Event", event)
            .header("X-Lexset-Delivery", delivery.to_string())
            .header("X-Lexset-Timestamp", timestamp.to_string())
            .header("X-Lexset-Signature", signature(secret, timestamp, &body))
            .body(body)
            .send()
            .await;
        let duration = started.elapsed();
        match sent {
            Ok(response) if response.status().is_success() => Attempt {
                status_code: Some(response.status().as_u16()),
                error: None,
                duration,
            },
            Ok(response) => Attempt {
                status_code: Some(response.status().as_u16()),
                error: Some(format!("the receiver answered {}", response.status())),
                duration,
            },
            Err(error) => Attempt {
                status_code: None,
                error: Some(if error.is_timeout() {
                    format!("no answer within {} s", TIMEOUT.as_secs())
                } else {
                    // Without the URL (its query may hold the receiver's token), with the causes.
                    let error = error.without_url();
                    let mut message = format!("cannot reach the receiver: {error}");
                    let mut cause = std::error::Error::source(&error);
                    while let Some(inner) = cause {
                        message.push_str(&format!(": {inner}"));
                        cause = inner.source();
                    }
                    message
                }),
                duration,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value Python's `hmac.new(b"Jefe", b'1700000000.{"build":1}', "sha256")` gives, as a
    /// receiver in another language computes it.
    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        assert_eq!(
            signature("Jefe", 1_700_000_000, br#"{"build":1}"#),
            "sha256=7668e3de56673a422ff07c3f030ecd3ccef26b1a938e908f7d576e5491e85804"
        );
    }
}
