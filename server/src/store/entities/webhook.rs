use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A receiver each published build is POSTed to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub url: String,
    /// The HMAC-SHA256 key of its deliveries' signatures (shown once, at registration).
    pub secret: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Removed: no new deliveries, its log kept.
    pub removed_at: Option<DateTime<Utc>>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
