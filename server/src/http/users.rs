//! `/v1/users`: the people and services tokens belong to, managed by admins. A user's name is
//! the actor of every change made with any of the user's tokens.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::actor::RequestActor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::request_fields::{NewestQuery, required};
use crate::domain::user::UserName;
use crate::messages::msg;
use crate::services::users;
use crate::store::entities::user;

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    /// A person or a service, unique (a taken name is `409 duplicate_user`; `cli` is reserved
    /// for the command line); recorded as the actor of every change made with its tokens.
    #[schema(required = true, example = "张三")]
    pub name: Option<String>,
}

/// A user as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub name: String,
    /// The user who created it, or `cli`.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserView {
    fn from(user: user::Model) -> Self {
        UserView {
            id: user.id,
            name: user.name,
            created_by: user.created_by,
            created_at: user.created_at,
        }
    }
}

/// Users, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

/// Create a user; then give it tokens with `POST /v1/tokens`.
#[utoipa::path(
    post, path = "/v1/users", tag = "users",
    request_body = UserCreate,
    responses(
        (status = 201, description = "Created", body = UserView, headers(("Location" = String))),
        (status = 400, description = "`name` is invalid", body = ErrorBody),
        (status = 409, description = "A user has this name already (`duplicate_user`)",
            body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<UserCreate>,
) -> Result<HttpResponse, ApiError> {
    let name = required("name", body.name, |raw| UserName::parse("name", raw))?;
    let user = users::create(
        &state.db,
        name,
        &actor.audit_created(StatusCode::CREATED, "/v1/users"),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/users/{}", user.id)))
        .json(UserView::from(user)))
}

/// List users, newest first.
#[utoipa::path(
    get, path = "/v1/users", tag = "users",
    params(NewestQuery),
    responses(
        (status = 200, description = "The users", body = UserList),
        (status = 400, description = "`limit` is invalid", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<NewestQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = users::list(&state.reads, query.limit()?)
        .await?
        .into_iter()
        .map(UserView::from)
        .collect();
    Ok(HttpResponse::Ok().json(UserList { items }))
}

/// Read one user.
#[utoipa::path(
    get, path = "/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "Id of the user")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let user = users::get(&state.reads, id).await?.ok_or_else(|| {
        ApiError::invalid(
            StatusCode::NOT_FOUND,
            "user_not_found",
            msg!("user_not_found", id = id),
        )
    })?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}
