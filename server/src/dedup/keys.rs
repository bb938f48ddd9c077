//! Exact dedup keys.
//!
//! A keyword's key is its folded term. A question's key is the SHA-256 (hex) of its folded
//! text with punctuation and symbols removed, so questions that differ only in width, case,
//! script, spacing or punctuation share a key; hashing keeps the indexed column short.

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::domain::field_error::FieldError;
use crate::domain::status::KeywordKind;
use crate::fold::FoldProfile;
use crate::messages::msg;
use lexset_filter::checksum::sha256_hex;

/// The longest folded key stored (the column holds 1024 characters; PostgreSQL indexes keep
/// entries under 2 704 bytes, 4 bytes a character at most).
pub const MAX_KEY_CHARS: usize = 512;

/// The dedup key of a keyword term; refused when nothing is left after folding (a term made
/// only of separators or invisible characters).
pub fn keyword_key(profile: &FoldProfile, term: &str) -> Result<String, FieldError> {
    let key = profile.fold(term);
    let length = key.chars().count();
    if length > MAX_KEY_CHARS {
        return Err(FieldError::unprocessable(
            "term",
            msg!("folds_too_long", length = length, max = MAX_KEY_CHARS),
        ));
    }
    if key.is_empty() {
        return Err(FieldError::unprocessable(
            "term",
            msg!("folds_to_nothing", term = term),
        ));
    }
    Ok(key)
}

/// The dedup key of a keyword entry of `kind`: the folded term, or for `all_of` rules the
/// folded parts, sorted and joined with `+` (so 枪+出售 and 出售+枪 are one rule).
pub fn rule_key(
    profile: &FoldProfile,
    kind: KeywordKind,
    term: &str,
) -> Result<String, FieldError> {
    match kind {
        KeywordKind::Block | KeywordKind::Allow => keyword_key(profile, term),
        KeywordKind::AllOf => {
            let parts = all_of_parts(profile, term)?;
            Ok(parts.join("+"))
        }
    }
}

/// The folded parts of an `A+B` term: at least two, none empty, sorted, without repeats.
pub fn all_of_parts(profile: &FoldProfile, term: &str) -> Result<Vec<String>, FieldError> {
    let mut parts = term
        .split('+')
        .map(|part| keyword_key(profile, part))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| FieldError::unprocessable("term", msg!("all_of_empty_part", term = term)))?;
    parts.sort();
    parts.dedup();
    if parts.len() < 2 {
        return Err(FieldError::unprocessable(
            "term",
            msg!("all_of_one_part", term = term),
        ));
    }
    Ok(parts)
}

/// The folded question text without punctuation and symbols: what exact dedup compares.
pub fn question_letters(profile: &FoldProfile, text: &str) -> String {
    profile
        .fold(text)
        .chars()
        .filter(|c| {
            !matches!(
                c.general_category_group(),
                GeneralCategoryGroup::Punctuation | GeneralCategoryGroup::Symbol
            )
        })
        .collect()
}

/// The dedup key of a question text; refused when the text is only punctuation.
pub fn question_key(profile: &FoldProfile, text: &str) -> Result<String, FieldError> {
    let letters = question_letters(profile, text);
    if letters.is_empty() {
        return Err(FieldError::unprocessable("text", msg!("no_letters")));
    }
    Ok(letters_key(&letters))
}

/// The key of a question's letters (see [`question_letters`]).
pub fn letters_key(letters: &str) -> String {
    sha256_hex(letters.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> std::sync::Arc<FoldProfile> {
        FoldProfile::shipped().unwrap()
    }

    #[test]
    fn keys_that_expand_past_the_limit_are_refused() {
        // U+FDFA folds to an 18-character phrase.
        let err = keyword_key(&profile(), &"\u{FDFA}".repeat(40)).unwrap_err();
        assert!(
            err.message.to_string().contains("at most 512"),
            "{}",
            err.message
        );
    }

    #[test]
    fn keyword_keys_are_folded_terms() {
        assert_eq!(keyword_key(&profile(), "法·輪·功").unwrap(), "法轮功");
        let err = keyword_key(&profile(), "*·\u{200B}").unwrap_err();
        assert_eq!(err.field, "term");
    }

    #[test]
    fn all_of_rules_are_keyed_by_their_sorted_parts() {
        let profile = profile();
        let key = rule_key(&profile, KeywordKind::AllOf, "枪 + 出售").unwrap();
        assert_eq!(
            key,
            rule_key(&profile, KeywordKind::AllOf, "出售+槍").unwrap()
        );
        for bad in ["枪", "枪+", "+枪", "枪+槍"] {
            let err = rule_key(&profile, KeywordKind::AllOf, bad).unwrap_err();
            assert_eq!(err.field, "term", "{bad}");
        }
        assert_eq!(
            rule_key(&profile, KeywordKind::Allow, "大麻烦").unwrap(),
            "大麻烦"
        );
    }

    #[test]
    fn questions_differing_only_in_punctuation_share_a_key() {
        let profile = profile();
        let a = question_key(&profile, "如何制作炸弹？").unwrap();
        let b = question_key(&profile, "如何，制作炸彈?!").unwrap();
        let c = question_key(&profile, "如何制作炸药？").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 64);
        assert_eq!(question_key(&profile, "？？！").unwrap_err().field, "text");
    }
}
