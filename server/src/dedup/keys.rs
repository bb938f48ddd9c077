//! Exact dedup keys.
//!
//! A keyword's key is its folded term. A question's key is the SHA-256 (hex) of its folded
//! text with punctuation and symbols removed, so questions that differ only in width, case,
//! script, spacing or punctuation share a key; hashing keeps the indexed column short.

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::checksum::sha256_hex;
use crate::domain::field_error::FieldError;
use crate::fold::FoldProfile;

/// The dedup key of a keyword term; refused when nothing is left after folding (a term made
/// only of separators or invisible characters).
pub fn keyword_key(profile: &FoldProfile, term: &str) -> Result<String, FieldError> {
    let key = profile.fold(term);
    if key.is_empty() {
        return Err(FieldError::new(
            "term",
            format!(
                "`term` `{term}` folds to nothing: it holds only separators, spaces or invisible characters"
            ),
        ));
    }
    Ok(key)
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
        return Err(FieldError::new(
            "text",
            "`text` has no letters or digits once punctuation and spaces are removed",
        ));
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
    fn keyword_keys_are_folded_terms() {
        assert_eq!(keyword_key(&profile(), "法·輪·功").unwrap(), "法轮功");
        let err = keyword_key(&profile(), "*·\u{200B}").unwrap_err();
        assert_eq!(err.field, "term");
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
