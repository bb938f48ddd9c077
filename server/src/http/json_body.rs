//! JSON request bodies with errors that name the field at fault.
//!
//! actix's `Json` reports type errors without the field's path; this extractor runs serde
//! through `serde_path_to_error`, so `{"term": 5}` answers `invalid_term`, and separates
//! malformed JSON (`malformed_json`) from well-formed JSON of the wrong shape (`invalid_body`).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::messages::msg;

/// The largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// A JSON request body deserialized into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = check_content_type(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            content_type?;
            let bytes = bytes.await.map_err(payload_error)?;
            parse(&bytes).map(JsonBody)
        })
    }
}

/// An optional JSON body: an empty body gives `None`; anything else must parse as `T`.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = check_content_type(req);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(payload_error)?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJsonBody(None));
            }
            content_type?;
            // `null` is no body too, as the document's `oneOf [body, null]` says.
            parse::<Option<T>>(&bytes).map(OptionalJsonBody)
        })
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("application/merge-patch+json")
    {
        Ok(())
    } else {
        Err(ApiError::invalid(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            msg!("unsupported_media_type", content_type = content_type),
        ))
    }
}

fn payload_error(error: actix_web::Error) -> ApiError {
    if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::invalid(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            msg!("payload_too_large", max = MAX_JSON_BYTES),
        )
    } else {
        ApiError::invalid(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            msg!("unreadable_body", detail = error.to_string()),
        )
    }
}

/// Parses `bytes` as `T`, naming the field of any type error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if !inner.is_data() {
            return ApiError::invalid(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                msg!("malformed_json", detail = inner.to_string()),
            );
        }
        let top_level_field = path.split(['.', '[']).next().unwrap_or("");
        // serde reports an unknown field at the unknown field's own path.
        let unknown_field = inner.to_string().starts_with("unknown field");
        if path == "." || top_level_field.is_empty() || unknown_field {
            ApiError::invalid(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                msg!("invalid_body", detail = inner.to_string()),
            )
        } else {
            ApiError::field(
                top_level_field,
                msg!("wrong_type", path = &path, detail = inner.to_string()),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::Lang;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        term: Option<String>,
    }

    #[test]
    fn well_formed_bodies_parse() {
        let sample = parse::<Sample>(r#"{"term": "词"}"#.as_bytes()).unwrap();
        assert_eq!(sample.term.as_deref(), Some("词"));
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        let err = parse::<Sample>(b"{\"term\": ").unwrap_err();
        assert_eq!(err.body(Lang::En).code, "malformed_json");
    }

    #[test]
    fn type_errors_name_the_field() {
        let err = parse::<Sample>(br#"{"term": 5}"#).unwrap_err();
        assert_eq!(err.body(Lang::En).code, "invalid_term");
        assert_eq!(err.body(Lang::En).field.as_deref(), Some("term"));
        assert!(
            err.body(Lang::En)
                .message
                .starts_with("`term`: invalid type")
        );
    }

    #[test]
    fn unknown_fields_are_an_invalid_body() {
        let err = parse::<Sample>(br#"{"terms": "x"}"#).unwrap_err();
        assert_eq!(err.body(Lang::En).code, "invalid_body");
        assert!(err.body(Lang::En).message.contains("unknown field `terms`"));
    }
}
