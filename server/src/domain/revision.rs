//! What a revision records about a change.

use serde::Serialize;

use super::field_error::{FieldError, one_of};
use crate::messages::{Message, msg};

/// Which kind of entry a revision belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Keyword,
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

    /// The word for an entry of this kind, for people.
    pub fn noun(self) -> Message {
        match self {
            Self::Keyword => msg!("noun_keyword"),
            Self::Question => msg!("noun_question"),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of(
            "kind",
            msg!("noun_entry_kind"),
            &Self::ALL,
            Self::as_str,
            raw,
        )
    }
}

/// What a change did to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionAction {
    /// The entry was created (revision 1).
    Created,
    /// Content changed (and perhaps the status too).
    Updated,
    /// Only the status changed.
    StatusChanged,
    /// The entry was retired.
    Retired,
}

impl RevisionAction {
    pub const ALL: [RevisionAction; 4] = [
        Self::Created,
        Self::Updated,
        Self::StatusChanged,
        Self::Retired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::StatusChanged => "status_changed",
            Self::Retired => "retired",
        }
    }
}
