//! The language of messages. Every error answer carries its [`ApiError`], whose body
//! `ResponseError` writes in English; [`translate_errors`] writes it again in Chinese for a
//! request whose `Accept-Language` prefers Chinese, keeping the status and every header
//! (`WWW-Authenticate`, `Allow`, …). Codes stay as they are.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest};

use super::error::ApiError;
use crate::messages::Lang;

/// The language `request` asks for (`Accept-Language`; English without one).
pub fn request_lang(request: &HttpRequest) -> Lang {
    Lang::from_accept_language(
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok()),
    )
}

/// Renders the body of an error answer in the request's language. Handlers, extractors, the
/// default 404 / 405 services and `access::authorize` all answer errors as responses that
/// carry their `ApiError`, so this sees every one of them.
pub async fn translate_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, String>>, Error> {
    let lang = request_lang(request.request());
    let response = next.call(request).await?;
    if lang == Lang::En {
        return Ok(response.map_into_left_body());
    }
    let translated = response
        .response()
        .error()
        .and_then(|error| error.as_error::<ApiError>())
        .and_then(|error| serde_json::to_string(&error.body(lang)).ok());
    Ok(match translated {
        Some(body) => response.map_body(|_, _| EitherBody::right(body)),
        None => response.map_into_left_body(),
    })
}
