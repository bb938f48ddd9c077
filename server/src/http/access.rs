//! Who may call what. [`RULES`] gives every route (method + path pattern) the role it needs;
//! [`authorize`] enforces it before any handler runs: `401` without a valid bearer token,
//! `403` for a token whose role is too low. A route without a rule is refused (fail closed),
//! and the authorization matrix test walks the OpenAPI document so a new route without a rule
//! fails it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use super::AppState;
use super::error::ApiError;
use crate::domain::role::Role;
use crate::messages::msg;
use crate::services::tokens::{self, Principal, Rejection};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: probes and the API documentation.
    Public,
    /// A valid token of at least this role.
    AtLeast(Role),
}

/// The access rule of one route.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    /// The route pattern as registered (and as in the OpenAPI document).
    pub path: &'static str,
    pub access: Access,
}

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

use Access::{AtLeast, Public};
use Role::{Admin, Annotator, Reader, Reviewer};

/// Every route and what it needs.
pub const RULES: &[Rule] = &[
    rule("GET", "/health", Public),
    rule("GET", "/ready", Public),
    rule("GET", "/metrics", Public),
    rule("GET", "/docs", Public),
    rule("GET", "/docs/{_:.*}", Public),
    rule("GET", "/openapi.json", Public),
    // The web page's shell and assets: no data, the page signs in to the API with a token.
    rule("GET", "/", Public),
    rule("GET", "/ui/{asset}", Public),
    rule("GET", "/v1/me", AtLeast(Reader)),
    rule("GET", "/v1/risks", AtLeast(Reader)),
    rule("GET", "/v1/aspects", AtLeast(Reader)),
    rule("GET", "/v1/answer-templates", AtLeast(Reader)),
    rule("GET", "/v1/keywords", AtLeast(Reader)),
    rule("POST", "/v1/keywords", AtLeast(Annotator)),
    rule("GET", "/v1/keywords/{id}", AtLeast(Reader)),
    rule("PATCH", "/v1/keywords/{id}", AtLeast(Annotator)),
    rule("POST", "/v1/keywords/{id}/retire", AtLeast(Reviewer)),
    rule("POST", "/v1/keywords/{id}/approve", AtLeast(Reviewer)),
    rule("POST", "/v1/keywords/{id}/reject", AtLeast(Reviewer)),
    rule("POST", "/v1/keywords/{id}/reopen", AtLeast(Reviewer)),
    rule("GET", "/v1/keywords/{id}/revisions", AtLeast(Reader)),
    rule("GET", "/v1/questions", AtLeast(Reader)),
    rule("POST", "/v1/questions", AtLeast(Annotator)),
    rule("GET", "/v1/questions/{id}", AtLeast(Reader)),
    rule("PATCH", "/v1/questions/{id}", AtLeast(Annotator)),
    rule("POST", "/v1/questions/{id}/retire", AtLeast(Reviewer)),
    rule("POST", "/v1/questions/{id}/approve", AtLeast(Reviewer)),
    rule("POST", "/v1/questions/{id}/reject", AtLeast(Reviewer)),
    rule("POST", "/v1/questions/{id}/reopen", AtLeast(Reviewer)),
    rule("GET", "/v1/questions/{id}/revisions", AtLeast(Reader)),
    rule("GET", "/v1/questions/{id}/similar", AtLeast(Reader)),
    rule("GET", "/v1/question-sets", AtLeast(Reader)),
    // Freezing a set decides what a filing attaches: a reviewer's call, like approval.
    rule("POST", "/v1/question-sets", AtLeast(Reviewer)),
    rule("GET", "/v1/question-sets/{id}", AtLeast(Reader)),
    rule("GET", "/v1/question-sets/{id}/members", AtLeast(Reader)),
    rule("GET", "/v1/question-sets/{from}/diff/{to}", AtLeast(Reader)),
    rule("POST", "/v1/question-sets/{id}/retire", AtLeast(Reviewer)),
    rule("POST", "/v1/refusal-detection", AtLeast(Reader)),
    rule("GET", "/v1/refusal-phrases", AtLeast(Reader)),
    rule("GET", "/v1/refusal-phrases/versions", AtLeast(Reader)),
    rule("POST", "/v1/refusal-phrases/versions", AtLeast(Annotator)),
    rule("GET", "/v1/refusal-phrases/versions/{id}", AtLeast(Reader)),
    rule(
        "POST",
        "/v1/refusal-phrases/versions/{id}/approve",
        AtLeast(Reviewer),
    ),
    rule(
        "POST",
        "/v1/refusal-phrases/versions/{id}/reject",
        AtLeast(Reviewer),
    ),
    rule("GET", "/v1/test-runs", AtLeast(Reader)),
    // A run is of a frozen set a filing attaches: started by those who freeze sets.
    rule("POST", "/v1/test-runs", AtLeast(Reviewer)),
    rule("GET", "/v1/test-runs/{id}", AtLeast(Reader)),
    rule("GET", "/v1/test-runs/{id}/answers", AtLeast(Reader)),
    rule("POST", "/v1/test-runs/{id}/answers", AtLeast(Annotator)),
    rule(
        "GET",
        "/v1/test-runs/{id}/answers/{question_id}/verdicts",
        AtLeast(Reader),
    ),
    rule(
        "POST",
        "/v1/test-runs/{id}/answers/{question_id}/verdicts",
        AtLeast(Annotator),
    ),
    rule("GET", "/v1/test-runs/{id}/calls", AtLeast(Reader)),
    rule("POST", "/v1/test-runs/{id}/calls", AtLeast(Reviewer)),
    rule("GET", "/v1/test-runs/{id}/errors", AtLeast(Reader)),
    rule("GET", "/v1/test-runs/{id}/report", AtLeast(Reader)),
    rule("GET", "/v1/test-runs/{id}/compare/{other}", AtLeast(Reader)),
    rule("GET", "/v1/filings", AtLeast(Reader)),
    rule("POST", "/v1/filings", AtLeast(Reviewer)),
    rule("GET", "/v1/filings/{id}", AtLeast(Reader)),
    rule("GET", "/v1/filings/{id}/archive", AtLeast(Reader)),
    rule("GET", "/v1/search", AtLeast(Reader)),
    rule("GET", "/v1/builds", AtLeast(Reader)),
    rule("POST", "/v1/builds", AtLeast(Admin)),
    rule("GET", "/v1/builds/latest", AtLeast(Reader)),
    rule("GET", "/v1/builds/events", AtLeast(Reader)),
    rule("GET", "/v1/builds/{number}", AtLeast(Reader)),
    rule("GET", "/v1/builds/{number}/artifact", AtLeast(Reader)),
    rule("GET", "/v1/builds/{number}/manifest", AtLeast(Reader)),
    rule("GET", "/v1/signing-keys", AtLeast(Reader)),
    rule("GET", "/v1/builds/{from}/diff/{to}", AtLeast(Reader)),
    rule("POST", "/v1/builds/{number}/match", AtLeast(Reader)),
    rule("POST", "/v1/builds/{number}/evaluate", AtLeast(Reviewer)),
    rule("GET", "/v1/builds/{number}/evaluations", AtLeast(Reader)),
    rule(
        "GET",
        "/v1/builds/{number}/evaluations/{id}",
        AtLeast(Reader),
    ),
    rule("POST", "/v1/imports", AtLeast(Annotator)),
    rule("GET", "/v1/exports/{file}", AtLeast(Reader)),
    rule("GET", "/v1/tasks/{id}", AtLeast(Reader)),
    rule("GET", "/v1/coverage", AtLeast(Reader)),
    rule("GET", "/v1/coverage/history", AtLeast(Reader)),
    rule("GET", "/v1/coverage/profiles", AtLeast(Reader)),
    rule("GET", "/coverage", AtLeast(Reader)),
    rule("GET", "/v1/lint-rules", AtLeast(Reader)),
    rule("GET", "/v1/reports/lints", AtLeast(Reader)),
    rule("GET", "/v1/reports/duplicates", AtLeast(Reader)),
    rule("GET", "/v1/reports/collisions", AtLeast(Reader)),
    rule("GET", "/v1/tokens", AtLeast(Admin)),
    rule("POST", "/v1/tokens", AtLeast(Admin)),
    rule("GET", "/v1/tokens/{id}", AtLeast(Admin)),
    rule("POST", "/v1/tokens/{id}/revoke", AtLeast(Admin)),
    rule("GET", "/v1/webhooks", AtLeast(Admin)),
    rule("POST", "/v1/webhooks", AtLeast(Admin)),
    rule("GET", "/v1/webhooks/{id}", AtLeast(Admin)),
    rule("DELETE", "/v1/webhooks/{id}", AtLeast(Admin)),
    rule("GET", "/v1/webhooks/{id}/deliveries", AtLeast(Admin)),
    rule("GET", "/v1/users", AtLeast(Admin)),
    rule("POST", "/v1/users", AtLeast(Admin)),
    rule("GET", "/v1/users/{id}", AtLeast(Admin)),
    rule("GET", "/v1/audit", AtLeast(Admin)),
];

/// The rule of `method` on route `path`, if there is one.
pub fn rule_for(method: &str, path: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|rule| rule.path == path && rule.method == method)
}

/// The methods route `path` has, in the order of [`RULES`].
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|rule| rule.path == path)
        .map(|rule| rule.method)
        .collect()
}

/// The principal of an authenticated request, put there by [`authorize`].
pub fn principal(request: &actix_web::HttpRequest) -> Option<Principal> {
    request.extensions().get::<Principal>().cloned()
}

/// Checks the bearer token of every request against the route's rule.
pub async fn authorize(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(pattern) = super::route::pattern(request.request()) else {
        // No route has this path as sent. The router matches the percent-decoded path, so a
        // path like /v1/%74okens must not reach it unchecked: answer 404 here.
        let error = ApiError::no_route(request.path());
        return Ok(request.error_response(error).map_into_right_body());
    };
    let refused = match rule_for(request.method().as_str(), &pattern) {
        None => Some(ApiError::method_not_allowed(
            request.method().as_str(),
            request.path(),
            &allowed_methods(&pattern),
        )),
        Some(Rule { access: Public, .. }) => None,
        Some(Rule {
            access: AtLeast(needed),
            ..
        }) => match authenticate(&request).await {
            Err(error) => Some(error),
            Ok(principal) => {
                // Kept even when refused: the audit log records who tried.
                request.extensions_mut().insert(principal.clone());
                (principal.role < *needed).then(|| {
                    ApiError::auth(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        msg!(
                            "forbidden",
                            method = request.method().as_str(),
                            route = &pattern,
                            needed = needed.as_str(),
                            user = &principal.name,
                            role = principal.role.as_str()
                        ),
                    )
                })
            }
        },
    };
    // `error_response` keeps the error with the response, so `http::language` can render it
    // for the reader.
    match refused {
        Some(error) => Ok(request.error_response(error).map_into_right_body()),
        None => Ok(next.call(request).await?.map_into_left_body()),
    }
}

/// The principal of the request's `Authorization: Bearer …` header.
async fn authenticate(request: &ServiceRequest) -> Result<Principal, ApiError> {
    let unauthorized = |code, message| ApiError::auth(StatusCode::UNAUTHORIZED, code, message);
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("missing_token", msg!("missing_token")))?;
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let secret = header
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, secret)| secret.trim())
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| unauthorized("invalid_token", msg!("not_bearer")))?;
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::system("no_state", msg!("no_state")))?;
    match tokens::authenticate(&state.reads, &state.tokens, secret).await? {
        Ok(principal) => Ok(principal),
        Err(Rejection::Unknown) => Err(unauthorized("invalid_token", msg!("invalid_token"))),
        Err(Rejection::Revoked) => Err(unauthorized("token_revoked", msg!("token_revoked"))),
        Err(Rejection::Expired) => Err(unauthorized("token_expired", msg!("token_expired"))),
    }
}
