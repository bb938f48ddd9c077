//! How a run's questions are put to an OpenAI-compatible chat-completions endpoint: the
//! settings of a model call, parsed from a request and stored with the call (so a restart can
//! resume it). The API key itself is never part of them: only the name of the environment
//! variable that holds it.

use serde::{Deserialize, Serialize};

use super::field_error::FieldError;
use super::http_url::is_http_url;
use super::text::bounded_text;
use crate::messages::msg;

bounded_text!(
    /// The model name the endpoint knows (`qwen-plus`), sent as `model`.
    ModelId, field = "model", max = 200, lines = Single
);
bounded_text!(
    /// A system message sent before every question.
    SystemPrompt, field = "system_prompt", max = 20_000, lines = Multi
);

/// Environment variables a call may read its key from start with this, so a request cannot
/// have lexset send any other secret of its environment (a database password) to an endpoint
/// of its choosing.
pub const KEY_VARIABLE_PREFIX: &str = "LEXSET_MODEL_KEY_";

/// What a model call asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallPurpose {
    /// The model under filing answers the run's unanswered questions.
    #[default]
    Answer,
    /// A judge model judges the run's answers it has not judged yet.
    Judge,
}

impl CallPurpose {
    pub const ALL: [CallPurpose; 2] = [Self::Answer, Self::Judge];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Judge => "judge",
        }
    }
}

/// The settings of a model call. Valid by construction ([`CallSettings::parse`]); stored as
/// JSON with the call and read back as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallSettings {
    /// Calls stored before judge calls existed answered questions.
    #[serde(default)]
    pub purpose: CallPurpose,
    /// `http(s)://host[:port][/path]`, without credentials, query or trailing slash; requests
    /// go to `{base_url}/chat/completions`.
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the API key (`LEXSET_MODEL_KEY_…`); none: the
    /// endpoint takes requests without one.
    pub api_key_env: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// At most this many requests are started per second; none: no limit but `concurrency`.
    pub requests_per_second: Option<f64>,
    /// Time allowed for one request, response included.
    pub timeout_ms: u32,
    /// Further attempts after a timeout, a 429, a 5xx, a malformed response or an empty
    /// choice.
    pub max_retries: u32,
    /// The wait before the first retry, doubled for each next one (a 429's `Retry-After`
    /// wins when longer).
    pub backoff_ms: u32,
}

/// The settings as a request gives them, each optional but `base_url` and `model`.
#[derive(Debug, Clone, Default)]
pub struct RawCallSettings {
    pub purpose: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
    pub concurrency: Option<i64>,
    pub requests_per_second: Option<f64>,
    pub timeout_ms: Option<i64>,
    pub max_retries: Option<i64>,
    pub backoff_ms: Option<i64>,
}

impl CallSettings {
    pub const DEFAULT_CONCURRENCY: u32 = 8;
    pub const DEFAULT_TIMEOUT_MS: u32 = 60_000;
    pub const DEFAULT_MAX_RETRIES: u32 = 3;
    pub const DEFAULT_BACKOFF_MS: u32 = 500;
    /// The accepted ranges, inclusive (the API document states the same).
    pub const TEMPERATURE: (f64, f64) = (0.0, 2.0);
    pub const REQUESTS_PER_SECOND: (f64, f64) = (0.01, 10_000.0);
    pub const MAX_TOKENS: (u32, u32) = (1, 1_000_000);
    pub const CONCURRENCY: (u32, u32) = (1, 256);
    pub const TIMEOUT_MS: (u32, u32) = (100, 600_000);
    pub const MAX_RETRIES: (u32, u32) = (0, 10);
    pub const BACKOFF_MS: (u32, u32) = (0, 60_000);
    /// The longest base URL.
    pub const MAX_BASE_URL_CHARS: usize = 2_000;

    pub fn parse(raw: RawCallSettings) -> Result<Self, FieldError> {
        let base_url = base_url(
            raw.base_url
                .as_deref()
                .ok_or_else(|| FieldError::missing("base_url"))?,
        )?;
        let model = ModelId::parse(
            raw.model
                .as_deref()
                .ok_or_else(|| FieldError::missing("model"))?,
        )?;
        let api_key_env = raw.api_key_env.as_deref().map(key_variable).transpose()?;
        let system_prompt = raw
            .system_prompt
            .as_deref()
            .map(SystemPrompt::parse)
            .transpose()?;
        let temperature = raw
            .temperature
            .map(|t| within_f64("temperature", t, Self::TEMPERATURE))
            .transpose()?;
        let requests_per_second = raw
            .requests_per_second
            .map(|r| within_f64("requests_per_second", r, Self::REQUESTS_PER_SECOND))
            .transpose()?;
        let purpose = match raw.purpose.as_deref() {
            None => CallPurpose::Answer,
            Some(raw) => super::field_error::one_of(
                "purpose",
                msg!("noun_purpose"),
                &CallPurpose::ALL,
                CallPurpose::as_str,
                raw,
            )?,
        };
        Ok(Self {
            purpose,
            base_url,
            model: model.into_inner(),
            api_key_env,
            system_prompt: system_prompt.map(SystemPrompt::into_inner),
            temperature,
            max_tokens: raw
                .max_tokens
                .map(|n| within("max_tokens", n, Self::MAX_TOKENS))
                .transpose()?,
            concurrency: within_or(
                "concurrency",
                raw.concurrency,
                Self::CONCURRENCY,
                Self::DEFAULT_CONCURRENCY,
            )?,
            requests_per_second,
            timeout_ms: within_or(
                "timeout_ms",
                raw.timeout_ms,
                Self::TIMEOUT_MS,
                Self::DEFAULT_TIMEOUT_MS,
            )?,
            max_retries: within_or(
                "max_retries",
                raw.max_retries,
                Self::MAX_RETRIES,
                Self::DEFAULT_MAX_RETRIES,
            )?,
            backoff_ms: within_or(
                "backoff_ms",
                raw.backoff_ms,
                Self::BACKOFF_MS,
                Self::DEFAULT_BACKOFF_MS,
            )?,
        })
    }

    /// Where chat completions are requested.
    pub fn completions_url(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }
}

/// An endpoint's base URL: [`is_http_url`] without a query, at most
/// [`CallSettings::MAX_BASE_URL_CHARS`] characters; a trailing `/` is dropped.
fn base_url(raw: &str) -> Result<String, FieldError> {
    if is_http_url(raw, false) && raw.chars().count() <= CallSettings::MAX_BASE_URL_CHARS {
        Ok(raw.trim_end_matches('/').to_owned())
    } else {
        Err(FieldError::new(
            "base_url",
            msg!("base_url_form", value = raw),
        ))
    }
}

/// [`key_variable`]'s syntax, for the API document.
pub const KEY_VARIABLE_PATTERN: &str = "^LEXSET_MODEL_KEY_[A-Z0-9_]+$";

fn key_variable(raw: &str) -> Result<String, FieldError> {
    let suffix = raw.strip_prefix(KEY_VARIABLE_PREFIX).unwrap_or("");
    let named = !suffix.is_empty()
        && suffix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if named {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(
            "api_key_env",
            msg!(
                "api_key_env_form",
                value = raw,
                prefix = KEY_VARIABLE_PREFIX
            ),
        ))
    }
}

fn out_of_range(field: &'static str, value: impl ToString, min: &str, max: &str) -> FieldError {
    FieldError::new(
        field,
        msg!(
            "number_range",
            field = field,
            value = value.to_string(),
            min = min,
            max = max
        ),
    )
}

fn within_f64(field: &'static str, value: f64, (min, max): (f64, f64)) -> Result<f64, FieldError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(out_of_range(
            field,
            value,
            &min.to_string(),
            &max.to_string(),
        ))
    }
}

fn within(field: &'static str, value: i64, (min, max): (u32, u32)) -> Result<u32, FieldError> {
    u32::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| out_of_range(field, value, &min.to_string(), &max.to_string()))
}

fn within_or(
    field: &'static str,
    value: Option<i64>,
    (min, max): (u32, u32),
    default: u32,
) -> Result<u32, FieldError> {
    value.map_or(Ok(default), |v| within(field, v, (min, max)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(base_url: &str) -> RawCallSettings {
        RawCallSettings {
            base_url: Some(base_url.to_owned()),
            model: Some("qwen-plus".to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_fill_what_the_request_leaves_out() {
        let settings = CallSettings::parse(raw("https://models.example.cn/v1/")).unwrap();
        assert_eq!(settings.base_url, "https://models.example.cn/v1");
        assert_eq!(
            settings.completions_url(),
            "https://models.example.cn/v1/chat/completions"
        );
        assert_eq!(settings.concurrency, CallSettings::DEFAULT_CONCURRENCY);
        assert_eq!(settings.timeout_ms, CallSettings::DEFAULT_TIMEOUT_MS);
        assert_eq!(settings.max_retries, CallSettings::DEFAULT_MAX_RETRIES);
        assert_eq!(settings.api_key_env, None);
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let field = |raw: RawCallSettings| CallSettings::parse(raw).unwrap_err().field;
        for url in [
            "ftp://x/v1",
            "https://user:pw@x/v1",
            "https://x/v1?k=1",
            "no url",
            "",
        ] {
            assert_eq!(field(raw(url)), "base_url", "{url}");
        }
        assert_eq!(
            field(RawCallSettings {
                model: None,
                ..raw("http://x")
            }),
            "model"
        );
        for name in [
            "OPENAI_API_KEY",
            "LEXSET_MODEL_KEY_",
            "LEXSET_MODEL_KEY_qwen",
            "PATH",
        ] {
            let bad = RawCallSettings {
                api_key_env: Some(name.to_owned()),
                ..raw("http://x")
            };
            assert_eq!(field(bad), "api_key_env", "{name}");
        }
        let cases: [(&str, RawCallSettings); 6] = [
            (
                "temperature",
                RawCallSettings {
                    temperature: Some(2.5),
                    ..raw("http://x")
                },
            ),
            (
                "max_tokens",
                RawCallSettings {
                    max_tokens: Some(0),
                    ..raw("http://x")
                },
            ),
            (
                "concurrency",
                RawCallSettings {
                    concurrency: Some(257),
                    ..raw("http://x")
                },
            ),
            (
                "requests_per_second",
                RawCallSettings {
                    requests_per_second: Some(0.0),
                    ..raw("http://x")
                },
            ),
            (
                "timeout_ms",
                RawCallSettings {
                    timeout_ms: Some(99),
                    ..raw("http://x")
                },
            ),
            (
                "max_retries",
                RawCallSettings {
                    max_retries: Some(-1),
                    ..raw("http://x")
                },
            ),
        ];
        for (expected, bad) in cases {
            assert_eq!(field(bad), expected);
        }
    }

    #[test]
    fn the_base_url_check_is_its_documented_pattern() {
        let pattern = regex::Regex::new(crate::domain::http_url::HTTP_URL_PATTERN).unwrap();
        for url in [
            "http://127.0.0.1:8000/v1",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            "https://x:65535",
            "https://x:1/",
            "https://x:65536/v1",
            "https://x:080/v1",
            "https://x:/v1",
            "https://user@x/v1",
            "https://x/v1 ",
            "https://模型.cn/v1",
            "https://x/a%20b",
        ] {
            let accepted = CallSettings::parse(raw(url)).is_ok();
            assert_eq!(accepted, pattern.is_match(url), "{url}");
        }
    }

    #[test]
    fn a_key_variable_with_the_prefix_is_kept_by_name() {
        let settings = CallSettings::parse(RawCallSettings {
            api_key_env: Some("LEXSET_MODEL_KEY_QWEN_2".to_owned()),
            ..raw("http://127.0.0.1:8000/v1")
        })
        .unwrap();
        assert_eq!(
            settings.api_key_env.as_deref(),
            Some("LEXSET_MODEL_KEY_QWEN_2")
        );
    }
}
