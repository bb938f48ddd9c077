//! Users: the people (or services) tokens belong to. A user's name is the actor recorded in
//! revisions, `created_by` and the audit log, so four eyes compares people, not tokens.

use super::field_error::FieldError;
use super::text::{Lines, parse_bounded};
use crate::messages::msg;

/// The actor of command-line writes; no user may take its name, so the audit log and the
/// revisions stay unambiguous.
pub const CLI_ACTOR: &str = "cli";

/// A user's name: a bounded single-line text (trimmed, not empty, no control characters, at
/// most [`UserName::MAX_CHARS`] characters as sent), and not the reserved [`CLI_ACTOR`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const MAX_CHARS: usize = 64;
    pub const LINES: Lines = Lines::Single;

    /// `raw` as a user's name sent in request field `field` (`name` when creating a user,
    /// `user` when creating a token for one).
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let name = parse_bounded(field, raw, Self::MAX_CHARS, Self::LINES)?;
        if name == CLI_ACTOR {
            return Err(FieldError::unprocessable(
                field,
                msg!("reserved_name", name = CLI_ACTOR),
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_text_rules_of_their_field() {
        assert_eq!(UserName::parse("user", " 张三 ").unwrap().as_str(), "张三");
        let err = UserName::parse("user", "").unwrap_err();
        assert_eq!((err.field, err.message.key()), ("user", "empty"));
        let err = UserName::parse("name", &"字".repeat(65)).unwrap_err();
        assert_eq!((err.field, err.message.key()), ("name", "too_long"));
        assert!(UserName::parse("name", &"字".repeat(64)).is_ok());
    }

    #[test]
    fn the_command_line_actor_is_reserved() {
        let err = UserName::parse("user", " cli ").unwrap_err();
        assert!(err.unprocessable);
        assert_eq!((err.field, err.message.key()), ("user", "reserved_name"));
    }
}
