use sea_orm::entity::prelude::*;

use crate::domain::revision::EntryKind;

/// One row per entry kind; every write transaction of that kind bumps `generation` first,
/// which serializes writers (a row lock on PostgreSQL, the write lock on SQLite) so that
/// version and duplicate checks cannot race.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "write_locks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub entry_kind: EntryKind,
    pub generation: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
