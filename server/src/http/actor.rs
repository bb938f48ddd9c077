//! Who is making a request. Until API tokens arrive, clients name themselves in the
//! `X-Lexset-Actor` header (UTF-8, e.g. a login or 张三); without it the actor is `anonymous`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use super::error::ApiError;
use crate::domain::text::Actor;

pub const ACTOR_HEADER: &str = "X-Lexset-Actor";

/// The request's actor, parsed from [`ACTOR_HEADER`].
#[derive(Debug, Clone)]
pub struct RequestActor(pub Actor);

impl FromRequest for RequestActor {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.headers().get(ACTOR_HEADER) {
            None => Actor::parse("anonymous").map_err(ApiError::from),
            Some(value) => std::str::from_utf8(value.as_bytes())
                .map_err(|_| ApiError::field("actor", format!("`{ACTOR_HEADER}` must be UTF-8")))
                .and_then(|text| Actor::parse(text).map_err(ApiError::from)),
        };
        ready(parsed.map(RequestActor))
    }
}
