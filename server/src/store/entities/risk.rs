use sea_orm::entity::prelude::*;

/// A risk of TC260-003 Appendix A.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "risks")]
pub struct Model {
    /// e.g. `A.1.a`
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// The standard's own wording.
    pub name_zh: String,
    pub name_en: String,
    /// `A.1` … `A.5`
    pub group_code: String,
    pub group_name_zh: String,
    pub group_name_en: String,
    /// Order in the standard.
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
