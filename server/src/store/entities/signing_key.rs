//! The public keys builds were signed with (never a private key): one row per key a replica
//! has signed with, kept after a rotation.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    /// `ed25519:` and 16 hex digits (`lexset_filter::manifest::key_id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub key_id: String,
    /// Base64 of the 32-byte public key.
    pub public_key: String,
    pub first_used_at: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
