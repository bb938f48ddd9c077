//! The artefact bytes of a published build: stored in the database so every replica serves
//! them (written in the transaction that publishes the build, never changed).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "build_artifacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub build_number: i64,
    pub bytes: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
