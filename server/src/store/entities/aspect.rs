use sea_orm::entity::prelude::*;

/// An aspect a must-not-refuse question covers (TC260-003 §8.3).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "aspects")]
pub struct Model {
    /// e.g. `history`
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// The standard's own wording, e.g. 历史.
    pub name_zh: String,
    pub name_en: String,
    /// `country` (我国制度 … 英烈) or `individual` (性别、年龄、职业、健康).
    pub scope: String,
    /// Order in the standard.
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
