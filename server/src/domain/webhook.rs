//! A webhook's receiver address, as an admin registers it.

use super::field_error::FieldError;
use super::http_url::is_http_url;
use crate::messages::msg;

/// Where a webhook POSTs: an http(s) URL, a query allowed (DingTalk's and Feishu's robot
/// addresses carry their token in one), at most [`WebhookUrl::MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub const MAX_CHARS: usize = 2_000;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if is_http_url(raw, true) && raw.chars().count() <= Self::MAX_CHARS {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "url",
                msg!("webhook_url_form", value = raw),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_are_http_urls_with_an_optional_query() {
        assert!(WebhookUrl::parse("https://hooks.example.cn/lexset?token=a1").is_ok());
        for bad in ["", "hooks.example.cn", "https://u:p@x/", "https://x/#f"] {
            assert_eq!(WebhookUrl::parse(bad).unwrap_err().field, "url", "{bad}");
        }
        let long = format!("https://x/{}", "a".repeat(WebhookUrl::MAX_CHARS));
        assert!(WebhookUrl::parse(&long).is_err());
    }
}
