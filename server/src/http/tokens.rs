//! `/v1/tokens`: API tokens, managed by admins. Each belongs to a user (`/v1/users`), whose
//! name is the actor of its changes. A secret is shown once, when created.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::actor::RequestActor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::request_fields::{NewestQuery, optional, required};
use crate::domain::field_error::FieldError;
use crate::domain::role::Role;
use crate::domain::text::TokenName;
use crate::domain::time::parse_expiry;
use crate::domain::user::UserName;
use crate::messages::msg;
use crate::services::tokens::{self, NewToken, UnknownUser, UserToken};

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    /// The user it belongs to (see `POST /v1/users`; an unknown user is `422
    /// invalid_user`). The user's name is recorded as the actor of the token's changes.
    #[schema(required = true, example = "张三")]
    pub user: Option<String>,
    /// A label telling the user's tokens apart (e.g. `laptop`, `ci`); default the user's name.
    /// Not an actor: two tokens of one user are one reviewer for four eyes.
    #[schema(example = "laptop")]
    pub name: Option<String>,
    /// `reader`, `annotator`, `reviewer` or `admin`.
    #[schema(required = true, example = "annotator")]
    pub role: Option<String>,
    /// When it stops working (RFC 3339, in the future); default never (until revoked).
    #[schema(example = "2027-06-30T00:00:00Z")]
    pub expires_at: Option<String>,
}

impl TokenCreate {
    fn parse(self, now: DateTime<Utc>) -> Result<NewToken, FieldError> {
        Ok(NewToken {
            user: required("user", self.user, |raw| UserName::parse("user", raw))?,
            name: optional(self.name, TokenName::parse)?,
            role: required("role", self.role, Role::parse)?,
            expires_at: optional(self.expires_at, |raw| parse_expiry(raw, now))?,
        })
    }
}

/// A token as the API shows it: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    /// The user it belongs to: the actor of its changes.
    pub user: String,
    /// Its label.
    pub name: String,
    pub role: Role,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<UserToken> for TokenView {
    fn from(UserToken { token, user }: UserToken) -> Self {
        TokenView {
            id: token.id,
            user: user.name,
            name: token.name,
            role: token.role,
            created_by: token.created_by,
            created_at: token.created_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
        }
    }
}

/// A created token and its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    #[serde(flatten)]
    pub token: TokenView,
    /// Send as `Authorization: Bearer <secret>`. Shown only now: only its hash is kept.
    pub secret: String,
}

/// Every token (without secrets).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// Who the caller is: what the web page shows after sign-in and uses to explain a disabled
/// button (a role too low, or the four-eyes rule).
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's user: the actor recorded in revisions and the audit log, whichever of the
    /// user's tokens is used.
    pub name: String,
    pub role: Role,
    /// Whether approvals by an entry's own unreviewed authors are refused.
    pub four_eyes: bool,
}

/// The caller's user name and the token's role.
#[utoipa::path(
    get, path = "/v1/me", tag = "tokens",
    responses((status = 200, description = "The caller", body = Me))
)]
pub async fn me(state: web::Data<AppState>, actor: RequestActor) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        name: actor.0.as_str().to_owned(),
        role: actor.1,
        four_eyes: state.four_eyes,
    })
}

/// Create a token for a user; the answer holds its secret, shown this once.
#[utoipa::path(
    post, path = "/v1/tokens", tag = "tokens",
    request_body = TokenCreate,
    responses(
        (status = 201, description = "Created; `secret` is shown only now", body = TokenCreated,
            headers(("Location" = String))),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 422, description = "`invalid_user`: no user has that name (or it is the \
            reserved `cli`); `invalid_expires_at`: not in the future", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<TokenCreate>,
) -> Result<HttpResponse, ApiError> {
    let new = body.parse(Utc::now())?;
    let created = tokens::create(
        &state.db,
        new,
        (
            actor.0.as_str(),
            Some(&actor.audit_created(StatusCode::CREATED, "/v1/tokens")),
        ),
        UnknownUser::Refuse,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/tokens/{}", created.token.token.id),
        ))
        .json(TokenCreated {
            token: created.token.into(),
            secret: created.secret,
        }))
}

/// Read one token (without its secret).
#[utoipa::path(
    get, path = "/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Id of the token")),
    responses(
        (status = 200, description = "The token", body = TokenView),
        (status = 404, description = "No such token", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let token = tokens::get(&state.reads, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(TokenView::from(token)))
}

fn not_found(id: i64) -> ApiError {
    ApiError::invalid(
        StatusCode::NOT_FOUND,
        "token_not_found",
        msg!("token_not_found", id = id),
    )
}

/// List tokens, newest first.
#[utoipa::path(
    get, path = "/v1/tokens", tag = "tokens",
    params(NewestQuery),
    responses(
        (status = 200, description = "The tokens", body = TokenList),
        (status = 400, description = "`limit` is invalid", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<NewestQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = tokens::list(&state.reads, query.limit()?)
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect();
    Ok(HttpResponse::Ok().json(TokenList { items }))
}

/// Revoke a token: it stops working at once, on every replica.
#[utoipa::path(
    post, path = "/v1/tokens/{id}/revoke", tag = "tokens",
    params(("id" = i64, Path, description = "Id of the token")),
    responses(
        (status = 200, description = "The revoked token", body = TokenView),
        (status = 404, description = "No such token", body = ErrorBody),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    actor: RequestActor,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let token = tokens::revoke(
        &state.db,
        &state.tokens,
        id,
        Some(&actor.audit(StatusCode::OK)),
    )
    .await?
    .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(TokenView::from(token)))
}
