//! One audited write: who (the token's user and role), what (method and route), on what (the path,
//! or the created resource), when, with which outcome (HTTP status), in which request.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The request's `X-Request-Id` (also in the server log); none for the command line.
    pub request_id: Option<String>,
    /// The user whose token was used, or `cli`.
    pub actor: String,
    pub role: Option<String>,
    /// `POST /v1/keywords/{id}/approve`, `lexset token create`, …
    pub action: String,
    /// The path written, or the resource created (its `Location`).
    pub target: String,
    /// The HTTP status answered (0 for the command line).
    pub status: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
