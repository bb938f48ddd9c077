//! What a token may do. Roles are ordered: each may do everything the ones below it may.

use serde::{Deserialize, Serialize};

use super::field_error::{FieldError, one_of};
use crate::messages::msg;

/// `reader` < `annotator` < `reviewer` < `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads entries, reports and coverage; pulls builds (what filter services get).
    Reader,
    /// Creates and edits entries (drafts) and imports files of drafts.
    Annotator,
    /// Approves, rejects, reopens and retires entries; evaluates builds.
    Reviewer,
    /// Manages tokens, publishes builds, reads the audit log, imports approved lexicons.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Reader, Self::Annotator, Self::Reviewer, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Annotator => "annotator",
            Self::Reviewer => "reviewer",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        one_of("role", msg!("noun_role"), &Self::ALL, Self::as_str, raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Reader < Role::Annotator && Role::Reviewer < Role::Admin);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("root").unwrap_err().field, "role");
    }
}
