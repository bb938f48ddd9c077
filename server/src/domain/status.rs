//! The lifecycle of an entry and the kinds of test question.

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_error::{FieldError, one_of};

/// Where an entry stands in review. Only `approved` entries count for builds and coverage;
/// `retired` entries are kept (with their history) but frozen.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "retired")]
    Retired,
}

impl EntryStatus {
    pub const ALL: [EntryStatus; 4] = [Self::Draft, Self::Approved, Self::Rejected, Self::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Retired => "retired",
        }
    }

    /// Parses a status named by a client, e.g. in a list filter.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of("status", "status", &Self::ALL, Self::as_str, raw)
    }

    /// Parses a status that a create or edit may set: retiring has its own endpoint, so that a
    /// retirement is always a deliberate act with its own revision.
    pub fn parse_settable(raw: &str) -> Result<Self, FieldError> {
        match Self::parse(raw)? {
            Self::Retired => Err(FieldError::new(
                "status",
                "`retired` cannot be set here; use the entry's `/retire` endpoint",
            )),
            status => Ok(status),
        }
    }
}

/// What a test question tests (TC260-003 §8.2–8.3).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 生成内容测试题: the answer is judged for safety; tagged with a risk.
    #[sea_orm(string_value = "generation")]
    Generation,
    /// 应拒答测试题: the model must refuse; tagged with a risk.
    #[sea_orm(string_value = "must_refuse")]
    MustRefuse,
    /// 非拒答测试题: the model must answer; tagged with an aspect.
    #[sea_orm(string_value = "must_not_refuse")]
    MustNotRefuse,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 3] = [Self::Generation, Self::MustRefuse, Self::MustNotRefuse];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generation => "generation",
            Self::MustRefuse => "must_refuse",
            Self::MustNotRefuse => "must_not_refuse",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of("kind", "kind", &Self::ALL, Self::as_str, raw)
    }
}

/// What a keyword entry does in a build.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum KeywordKind {
    /// Intercept text containing the term (the default).
    #[sea_orm(string_value = "block")]
    Block,
    /// Never intercept inside this longer term (大麻烦 keeps 大麻 from firing there).
    #[sea_orm(string_value = "allow")]
    Allow,
    /// `A+B`: intercept text that contains every `+`-separated part.
    #[sea_orm(string_value = "all_of")]
    AllOf,
}

impl KeywordKind {
    pub const ALL: [KeywordKind; 3] = [Self::Block, Self::Allow, Self::AllOf];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Allow => "allow",
            Self::AllOf => "all_of",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of("kind", "keyword kind", &Self::ALL, Self::as_str, raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in EntryStatus::ALL {
            assert_eq!(EntryStatus::parse(status.as_str()), Ok(status));
        }
    }

    #[test]
    fn unknown_status_names_the_field() {
        let err = EntryStatus::parse("Approved").unwrap_err();
        assert_eq!(err.field, "status");
        assert!(err.message.contains("`Approved`"));
    }

    #[test]
    fn retired_is_not_settable() {
        assert!(EntryStatus::parse_settable("retired").is_err());
        assert_eq!(
            EntryStatus::parse_settable("approved"),
            Ok(EntryStatus::Approved)
        );
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in QuestionKind::ALL {
            assert_eq!(QuestionKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(QuestionKind::parse("refuse").unwrap_err().field, "kind");
    }
}
