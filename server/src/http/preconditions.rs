//! Entity tags and `If-Match`: how two annotators avoid overwriting each other.
//!
//! An entry's strong `ETag` is its version in quotes (`"3"`). Every change must carry
//! `If-Match` with the tag it was based on: without it the answer is `428`, with a stale tag
//! `412` (RFC 9110 §13.1.1; weak tags never match, `*` matches any current version).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest};

use super::error::ApiError;
use crate::messages::msg;
use crate::services::versioned_change::ExpectedVersion;

/// The `ETag` header value of an entry at `version`.
pub fn etag(version: i32) -> header::EntityTag {
    header::EntityTag::new_strong(version.to_string())
}

/// The versions a change may apply to, read from `If-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(pub ExpectedVersion);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_if_match(req.headers().get(header::IF_MATCH)))
    }
}

fn parse_if_match(value: Option<&header::HeaderValue>) -> Result<IfMatch, ApiError> {
    let Some(value) = value else {
        return Err(ApiError::invalid(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            msg!("precondition_required"),
        ));
    };
    let invalid = || {
        ApiError::invalid(
            StatusCode::BAD_REQUEST,
            "invalid_if_match",
            msg!("invalid_if_match"),
        )
    };
    let text = value.to_str().map_err(|_| invalid())?.trim();
    if text == "*" {
        return Ok(IfMatch(ExpectedVersion::Any));
    }
    let mut versions = Vec::new();
    for tag in text.split(',').map(|tag| tag.trim_matches([' ', '\t'])) {
        let (weak, tag) = match tag.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, tag),
        };
        // An entity tag is a quoted run of visible characters other than `"` (RFC 9110 §8.8.3).
        let opaque = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|t| t.bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b)))
            .ok_or_else(invalid)?;
        // Weak tags never match under strong comparison, and a well-formed tag that is no
        // version of ours can only fail to match.
        let version = opaque
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| opaque.parse::<i32>().ok())
            .flatten();
        if let (false, Some(version)) = (weak, version) {
            versions.push(version);
        }
    }
    Ok(IfMatch(ExpectedVersion::OneOf(versions)))
}

/// Whether the request's `If-None-Match` names `etag` (or `*`): the client holds the current
/// representation, and `304 Not Modified` answers. Weak tags compare like strong ones.
pub fn holds_current(request: &HttpRequest, etag: &header::EntityTag) -> bool {
    let current = etag.to_string();
    request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.trim() == "*"
                || value
                    .split(',')
                    .any(|tag| tag.trim().trim_start_matches("W/") == current)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;

    fn parse(raw: &str) -> Result<IfMatch, ApiError> {
        parse_if_match(Some(&header::HeaderValue::from_str(raw).unwrap()))
    }

    #[test]
    fn missing_header_is_428() {
        let err = parse_if_match(None).unwrap_err();
        assert_eq!(err.body(Lang::En).code, "precondition_required");
    }

    #[test]
    fn reads_star_and_tag_lists() {
        assert_eq!(parse("*").unwrap(), IfMatch(ExpectedVersion::Any));
        assert_eq!(
            parse("\"3\", \"4\"").unwrap(),
            IfMatch(ExpectedVersion::OneOf(vec![3, 4]))
        );
    }

    #[test]
    fn weak_and_foreign_tags_never_match() {
        assert_eq!(
            parse("W/\"3\"").unwrap(),
            IfMatch(ExpectedVersion::OneOf(vec![]))
        );
        assert_eq!(
            parse("\"abc\"").unwrap(),
            IfMatch(ExpectedVersion::OneOf(vec![]))
        );
    }

    #[test]
    fn unquoted_tags_are_refused() {
        assert_eq!(
            parse("3").unwrap_err().body(Lang::En).code,
            "invalid_if_match"
        );
    }

    #[test]
    fn etag_is_the_quoted_version() {
        assert_eq!(etag(7).to_string(), "\"7\"");
    }
}
