//! Keywords of the interception lexicon (拦截关键词).

use super::status::{EntryStatus, KeywordKind};
use super::taxonomy_code::RiskCode;
use super::text::{Note, Source, bounded_text};

bounded_text!(
    /// The keyword as an annotator wrote it. Folding for deduplication and matching happens
    /// elsewhere; the stored term keeps the annotator's spelling.
    KeywordTerm, field = "term", max = 100, lines = Single
);

/// A keyword ready to be stored.
#[derive(Debug, Clone)]
pub struct NewKeyword {
    pub term: KeywordTerm,
    pub kind: KeywordKind,
    pub risk: RiskCode,
    pub note: Option<Note>,
    pub source: Option<Source>,
    pub status: EntryStatus,
}

/// An edit of a keyword: `None` leaves a field alone; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct KeywordChanges {
    pub term: Option<KeywordTerm>,
    pub kind: Option<KeywordKind>,
    pub risk: Option<RiskCode>,
    pub note: Option<Option<Note>>,
    pub source: Option<Option<Source>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_one_trimmed_line() {
        assert_eq!(KeywordTerm::parse(" 法轮功 ").unwrap().as_str(), "法轮功");
        assert_eq!(KeywordTerm::parse("法轮\n功").unwrap_err().field, "term");
        assert_eq!(KeywordTerm::parse("\u{0}").unwrap_err().field, "term");
    }

    #[test]
    fn a_term_is_at_most_100_characters() {
        assert!(KeywordTerm::parse(&"词".repeat(100)).is_ok());
        let err = KeywordTerm::parse(&"词".repeat(101)).unwrap_err();
        assert!(
            err.message.to_string().contains("at most 100"),
            "{}",
            err.message
        );
    }
}
