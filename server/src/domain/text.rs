//! Bounded text fields: the one place that decides what a stored string may contain.
//!
//! Invariants of every parsed value: surrounding whitespace trimmed, not empty, no control
//! characters (multi-line fields keep `\n` and `\t`; `\r\n` becomes `\n`), at most the field's
//! limit in Unicode scalar values — counted as sent, before trimming, so that the API
//! document's `maxLength` says exactly what is accepted. Cost: one pass over the input.

use super::field_error::FieldError;
use crate::messages::msg;

/// Whether a field may span several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Parses `raw` under the rules of `field`: see the module invariants.
pub fn parse_bounded(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    let normalized = match lines {
        Lines::Multi => raw.replace("\r\n", "\n"),
        Lines::Single => raw.to_owned(),
    };
    let trimmed = normalized.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, msg!("empty", field = field)));
    }
    let allowed = |c: char| lines == Lines::Multi && (c == '\n' || c == '\t');
    if let Some((position, c)) = trimmed
        .chars()
        .enumerate()
        .find(|&(_, c)| c.is_control() && !allowed(c))
    {
        return Err(FieldError::new(
            field,
            msg!(
                "control_characters",
                field = field,
                code = format!("{:04X}", u32::from(c)),
                position = position + 1
            ),
        ));
    }
    let length = raw.chars().count();
    if length > max_chars {
        return Err(FieldError::new(
            field,
            msg!("too_long", field = field, length = length, max = max_chars),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A whole number written in ASCII digits only (no sign, no spaces), with at most 18
/// significant digits, as numeric query parameters and cursors are: the API document's
/// integer schemas and patterns say exactly this.
pub fn whole_number(raw: &str) -> Option<u64> {
    let significant = raw.trim_start_matches('0');
    (!raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) && significant.len() <= 18)
        .then(|| significant.parse().unwrap_or(0))
}

/// Declares a newtype over a bounded text field, parsed by [`parse_bounded`].
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, field = $field:literal, max = $max:expr, lines = $lines:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const FIELD: &'static str = $field;
            pub const MAX_CHARS: usize = $max;
            pub const LINES: $crate::domain::text::Lines = $crate::domain::text::Lines::$lines;

            pub fn parse(raw: &str) -> Result<Self, $crate::domain::field_error::FieldError> {
                $crate::domain::text::parse_bounded(
                    $field,
                    raw,
                    $max,
                    $crate::domain::text::Lines::$lines,
                )
                .map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}
pub(crate) use bounded_text;

bounded_text!(
    /// Who made a change, as recorded in revisions and the audit log: the name of the user
    /// whose token was used (or `cli` for local commands).
    Actor, field = "actor", max = 64, lines = Single
);
bounded_text!(
    /// The label of an API token (e.g. `laptop`), telling a user's tokens apart; not an actor.
    TokenName, field = "name", max = 64, lines = Single
);
bounded_text!(
    /// Why a change was made, kept in the revision.
    Reason, field = "reason", max = 1000, lines = Multi
);
bounded_text!(
    /// A free-text remark on an entry.
    Note, field = "note", max = 2000, lines = Multi
);
bounded_text!(
    /// Where an entry came from (a file, a list, a person).
    Source, field = "source", max = 500, lines = Single
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(Note::parse("  a note \n").unwrap().as_str(), "a note");
    }

    #[test]
    fn rejects_empty_and_whitespace_only() {
        for raw in ["", "   ", "\n\t ", "\u{3000}"] {
            let err = Note::parse(raw).unwrap_err();
            assert_eq!(err.field, "note");
            assert_eq!(err.message.key(), "empty");
        }
    }

    #[test]
    fn single_line_fields_reject_newlines() {
        let err = Source::parse("a\nb").unwrap_err();
        assert_eq!(err.field, "source");
        assert!(
            err.message.to_string().contains("U+000A"),
            "{}",
            err.message
        );
    }

    #[test]
    fn multi_line_fields_keep_newlines_and_normalise_crlf() {
        assert_eq!(Note::parse("a\r\nb\tc").unwrap().as_str(), "a\nb\tc");
    }

    #[test]
    fn rejects_control_characters_with_their_position() {
        let err = Note::parse("ab\u{7}c").unwrap_err();
        assert_eq!(
            err.message.to_string(),
            "`note` contains the control character U+0007 at character 3"
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        let at_limit = "字".repeat(Actor::MAX_CHARS);
        assert!(Actor::parse(&at_limit).is_ok());
        let err = Actor::parse(&format!("{at_limit}字")).unwrap_err();
        assert_eq!(
            err.message.to_string(),
            "`actor` is 65 characters long; at most 64 are allowed"
        );
    }

    proptest! {
        #[test]
        fn parsed_values_hold_the_invariants(raw in "\\PC{0,80}") {
            if let Ok(parsed) = Source::parse(&raw) {
                let value = parsed.as_str();
                prop_assert_eq!(value.trim(), value);
                prop_assert!(!value.is_empty());
                prop_assert!(!value.chars().any(char::is_control));
                prop_assert!(value.chars().count() <= Source::MAX_CHARS);
            }
        }
    }
}
