//! The lifecycle of an entry and the kinds of test question.

use serde::{Deserialize, Serialize};

use super::field_error::{FieldError, one_of};
use crate::messages::msg;

/// Where an entry stands in review. Only `approved` entries count for builds and coverage;
/// `retired` entries are kept (with their history) but frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    Draft,
    Approved,
    Rejected,
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
        one_of("status", msg!("noun_status"), &Self::ALL, Self::as_str, raw)
    }

    /// Parses a status that a create or edit may set: retiring has its own endpoint, so that a
    /// retirement is always a deliberate act with its own revision.
    pub fn parse_settable(raw: &str) -> Result<Self, FieldError> {
        match Self::parse(raw)? {
            Self::Retired => Err(FieldError::new("status", msg!("retired_not_settable"))),
            status => Ok(status),
        }
    }

    /// Parses a comma-separated list of statuses, each kept once, in the order given.
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, FieldError> {
        let mut statuses = Vec::new();
        for name in raw.split(',').map(|name| name.trim_matches(' ')) {
            let status = Self::parse(name)?;
            if !statuses.contains(&status) {
                statuses.push(status);
            }
        }
        Ok(statuses)
    }

    /// Parses the statuses a report counts (coverage, exports, evaluations): `approved` when
    /// none are named; retired entries never count.
    pub fn parse_counted(raw: Option<&str>) -> Result<Vec<Self>, FieldError> {
        let Some(raw) = raw else {
            return Ok(vec![Self::Approved]);
        };
        let statuses = Self::parse_list(raw)?;
        if statuses.contains(&Self::Retired) {
            return Err(FieldError::new("status", msg!("retired_never_counts")));
        }
        Ok(statuses)
    }
}

/// What a test question tests (TC260-003 §8.2–8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 生成内容测试题: the answer is judged for safety; tagged with a risk.
    Generation,
    /// 应拒答测试题: the model must refuse; tagged with a risk.
    MustRefuse,
    /// 非拒答测试题: the model must answer; tagged with an aspect.
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
        one_of(
            "kind",
            msg!("noun_question_kind"),
            &Self::ALL,
            Self::as_str,
            raw,
        )
    }
}

/// What a good answer to a question does (是否应拒答): the model declines, or it answers.
/// A must-refuse question expects a refusal and a must-not-refuse question an answer; a
/// generation question may expect either, and says which (`domain::question::Classification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedBehavior {
    /// 应拒答: the model should decline or deflect.
    Refuse,
    /// 应回答: the model should answer (safely).
    Answer,
}

impl ExpectedBehavior {
    pub const ALL: [ExpectedBehavior; 2] = [Self::Refuse, Self::Answer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refuse => "refuse",
            Self::Answer => "answer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of(
            "expected_behavior",
            msg!("noun_expected_behavior"),
            &Self::ALL,
            Self::as_str,
            raw,
        )
    }

    /// The behaviour every question of `kind` expects; `None` for generation questions, which
    /// may expect either.
    pub fn of_kind(kind: QuestionKind) -> Option<Self> {
        match kind {
            QuestionKind::MustRefuse => Some(Self::Refuse),
            QuestionKind::MustNotRefuse => Some(Self::Answer),
            QuestionKind::Generation => None,
        }
    }

    /// The behaviour of a question of `kind` that names `given`: its kind's for the refusal
    /// kinds (naming the other one is refused, `422` on `expected_behavior`), `given` for
    /// generation questions.
    pub fn for_kind(kind: QuestionKind, given: Option<Self>) -> Result<Option<Self>, FieldError> {
        match (Self::of_kind(kind), given) {
            (Some(required), Some(given)) if given != required => Err(FieldError::unprocessable(
                "expected_behavior",
                msg!(
                    "behavior_contradicts_kind",
                    kind = kind.as_str(),
                    behavior = given.as_str(),
                    required = required.as_str()
                ),
            )),
            (Some(required), _) => Ok(Some(required)),
            (None, given) => Ok(given),
        }
    }
}

/// What a keyword entry does in a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeywordKind {
    /// Intercept text containing the term (the default).
    Block,
    /// Never intercept inside this longer term (大麻烦 keeps 大麻 from firing there).
    Allow,
    /// `A+B`: intercept text that contains every `+`-separated part.
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
        one_of(
            "kind",
            msg!("noun_keyword_kind"),
            &Self::ALL,
            Self::as_str,
            raw,
        )
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
        assert!(err.message.to_string().contains("`Approved`"));
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
