//! Who is making a request: the user of its bearer token and the token's role, as checked by
//! [`super::access::authorize`]. The user's name is what revisions, `created_by`, the audit log
//! and four eyes record and compare.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};

use super::access::principal;
use super::error::ApiError;
use crate::domain::role::Role;
use crate::domain::text::Actor;
use crate::messages::msg;

/// The request's actor (its token's user) and the token's role.
#[derive(Debug, Clone)]
pub struct RequestActor(pub Actor, pub Role);

impl FromRequest for RequestActor {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let actor = principal(req)
            .ok_or_else(|| {
                ApiError::auth(
                    StatusCode::UNAUTHORIZED,
                    "missing_token",
                    msg!("missing_token"),
                )
            })
            .and_then(|principal| {
                let name = Actor::parse(&principal.name).map_err(ApiError::from)?;
                Ok(RequestActor(name, principal.role))
            });
        ready(actor)
    }
}
