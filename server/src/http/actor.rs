//! Who is making a request: the user of its bearer token and the token's role, as checked by
//! [`super::access::authorize`], and the audit row its change commits with. The user's name is
//! what revisions, `created_by`, the audit log and four eyes record and compare.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::access::principal;
use super::audit::RequestId;
use super::error::ApiError;
use crate::domain::role::Role;
use crate::domain::text::Actor;
use crate::messages::msg;
use crate::services::audit::AuditStamp;

/// The request's actor (its token's user), the token's role, and the request's audit stamp.
#[derive(Debug, Clone)]
pub struct RequestActor(pub Actor, pub Role, AuditStamp);

impl RequestActor {
    /// The audit row of the change this request makes, answered with `status`.
    pub fn audit(&self, status: StatusCode) -> AuditStamp {
        let mut stamp = self.2.clone();
        stamp.status = status.as_u16();
        stamp
    }

    /// The audit row of a change creating a resource under `collection` (its `Location`).
    pub fn audit_created(&self, status: StatusCode, collection: &str) -> AuditStamp {
        self.audit(status).creating(collection)
    }
}

/// The audit stamp of `req` by `actor` with `role`: its id, route and routed path (percent
/// decoded, so /v1/keywords/%31 is recorded as /v1/keywords/1).
fn stamp(req: &HttpRequest, actor: &Actor, role: Role) -> AuditStamp {
    let action = format!(
        "{} {}",
        req.method(),
        super::route::pattern(req).unwrap_or_default()
    );
    let mut stamp = AuditStamp::new(
        actor.as_str(),
        Some(role),
        &action,
        req.match_info().as_str(),
    );
    stamp.request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
    stamp
}

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
                let stamp = stamp(req, &name, principal.role);
                Ok(RequestActor(name, principal.role, stamp))
            });
        ready(actor)
    }
}
