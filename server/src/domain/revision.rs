//! What a revision records about a change.

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::Serialize;
use utoipa::ToSchema;

/// Which kind of entry a revision belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EntryKind {
    #[sea_orm(string_value = "keyword")]
    Keyword,
    #[sea_orm(string_value = "question")]
    Question,
}

impl EntryKind {
    pub const ALL: [EntryKind; 2] = [Self::Keyword, Self::Question];

    /// The name clients and documents use: `keyword` or `question`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyword => "keyword",
            Self::Question => "question",
        }
    }
}

/// What a change did to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum RevisionAction {
    /// The entry was created (revision 1).
    #[sea_orm(string_value = "created")]
    Created,
    /// Content changed (and perhaps the status too).
    #[sea_orm(string_value = "updated")]
    Updated,
    /// Only the status changed.
    #[sea_orm(string_value = "status_changed")]
    StatusChanged,
    /// The entry was retired.
    #[sea_orm(string_value = "retired")]
    Retired,
}
