//! The fold profile: the table, its id and its content hash, from `seeds/fold-profile.toml`.

use std::sync::{Arc, LazyLock};

use serde::Deserialize;

use super::FoldTable;
use super::derive::{DeriveError, DeriveOptions, derive};

const PROFILE_TOML: &str = include_str!("../../../seeds/fold-profile.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    id: String,
    separators: Vec<String>,
}

/// A named, hashed folding table. Equal hashes mean equal folding.
#[derive(Debug)]
pub struct FoldProfile {
    pub id: String,
    /// Hex SHA-256 of the table's canonical bytes.
    pub hash: String,
    pub separators: Vec<char>,
    pub table: FoldTable,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("seeds/fold-profile.toml is invalid: {0}")]
    File(String),
    #[error(transparent)]
    Derive(#[from] DeriveError),
    #[error("the shipped fold profile cannot be derived: {0}")]
    Shipped(String),
}

impl FoldProfile {
    /// The shipped profile, derived on first use and shared by the whole process (threads
    /// asking meanwhile wait for the one derivation).
    pub fn shipped() -> Result<Arc<FoldProfile>, ProfileError> {
        static SHIPPED: LazyLock<Result<Arc<FoldProfile>, String>> = LazyLock::new(|| {
            FoldProfile::from_toml(PROFILE_TOML, true)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        SHIPPED.clone().map_err(ProfileError::Shipped)
    }

    /// The shipped profile without traditional → simplified conversion: used to tell which
    /// terms fold together through OpenCC alone.
    pub fn shipped_without_chinese_conversion() -> Result<Arc<FoldProfile>, ProfileError> {
        static PLAIN: LazyLock<Result<Arc<FoldProfile>, String>> = LazyLock::new(|| {
            FoldProfile::from_toml(PROFILE_TOML, false)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        });
        PLAIN.clone().map_err(ProfileError::Shipped)
    }

    fn from_toml(toml_text: &str, chinese_conversion: bool) -> Result<Self, ProfileError> {
        let file: ProfileFile =
            toml::from_str(toml_text).map_err(|e| ProfileError::File(e.to_string()))?;
        let separators = file
            .separators
            .iter()
            .map(|s| {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Ok(c),
                    _ => Err(ProfileError::File(format!(
                        "separator {s:?} must be exactly one character"
                    ))),
                }
            })
            .collect::<Result<Vec<char>, _>>()?;
        let table = derive(&DeriveOptions {
            separators: &separators,
            chinese_conversion,
        })?;
        Ok(Self {
            id: file.id,
            hash: table.content_hash(),
            separators,
            table,
        })
    }

    /// Folds `text` with the profile's table.
    pub fn fold(&self, text: &str) -> String {
        self.table.fold(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn profile() -> Arc<FoldProfile> {
        FoldProfile::shipped().expect("the shipped profile derives")
    }

    #[test]
    fn real_pairs_fold_together() {
        let profile = profile();
        let pairs = [
            ("习近平", "習近平"),
            ("台湾", "臺灣"),
            ("台湾", "台灣"),
            ("里面", "裏面"),
            ("abc", "ＡＢＣ"),
            ("abc", "AbC"),
            ("flg", "ＦＬＧ"),
            ("法轮功", "法 轮 功"),
            ("法轮功", "法\u{3000}轮\u{3000}功"),
            ("法轮功", "法*轮*功"),
            ("法轮功", "法·轮·功"),
            ("法轮功", "法_轮-功"),
            ("法轮功", "法\u{200B}轮\u{200D}功"),
            ("法轮功", "\u{FEFF}法\u{2060}轮\u{00AD}功"),
            ("法轮功", "法輪功"),
            ("1", "①"),
            ("(1)", "⑴"),
            ("1", "➀"),
            ("1", "❶"),
            ("12", "⓬"),
            ("10", "⓾"),
            ("一", "⼀"),
            ("a1", "ａ１"),
        ];
        for (a, b) in pairs {
            assert_eq!(profile.fold(a), profile.fold(b), "{a} ~ {b}");
        }
    }

    #[test]
    fn different_terms_stay_apart() {
        let profile = profile();
        for (a, b) in [
            ("台独", "台湾"),
            ("法轮功", "法轮"),
            ("a", "b"),
            ("干部", "部干"),
        ] {
            assert_ne!(profile.fold(a), profile.fold(b), "{a} ≁ {b}");
        }
    }

    #[test]
    fn the_folded_form_is_simplified_lower_case_without_noise() {
        assert_eq!(profile().fold(" 臺灣 ＦＬＧ-①* "), "台湾flg1");
    }

    #[test]
    fn every_mapping_is_a_fixed_point() {
        let profile = profile();
        for (c, folded) in profile.table.mappings() {
            assert_eq!(profile.fold(folded), folded, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn the_hash_identifies_the_table() {
        let with = profile();
        let without = FoldProfile::shipped_without_chinese_conversion().unwrap();
        assert_eq!(with.id, "lexset-fold-1");
        assert_eq!(with.hash.len(), 64);
        assert_ne!(with.hash, without.hash);
        assert_eq!(without.fold("臺灣"), "臺灣");
        assert_eq!(without.fold("ＡＢＣ"), "abc");
    }

    #[test]
    fn separators_must_be_single_characters() {
        let err = FoldProfile::from_toml("id = \"x\"\nseparators = [\"**\"]", false).unwrap_err();
        assert!(err.to_string().contains("exactly one character"));
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(text in "[\\PC\u{200B}\u{3000}＊·臺灣ＡＢ①⑴]{0,40}") {
            let profile = profile();
            let once = profile.fold(&text);
            prop_assert_eq!(profile.fold(&once), once);
        }

        #[test]
        fn folding_together_is_an_equivalence(
            a in "[台臺湾灣aAａ ·]{0,6}",
            b in "[台臺湾灣aAａ ·]{0,6}",
            c in "[台臺湾灣aAａ ·]{0,6}",
        ) {
            let profile = profile();
            let same = |x: &str, y: &str| profile.fold(x) == profile.fold(y);
            prop_assert!(same(&a, &a));
            prop_assert_eq!(same(&a, &b), same(&b, &a));
            if same(&a, &b) && same(&b, &c) {
                prop_assert!(same(&a, &c));
            }
        }

        #[test]
        fn offsets_cover_the_source_in_order(text in "[\\PC\u{200B}臺Ａ①㈱ ]{0,30}") {
            let profile = profile();
            let folded = profile.table.fold_with_offsets(&text);
            prop_assert_eq!(&folded.text, &profile.fold(&text));
            let mut last_start = 0;
            for (at, c) in folded.text.char_indices() {
                let range = folded.source_range(at..at + c.len_utf8());
                prop_assert!(range.start >= last_start);
                prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
                last_start = range.start;
            }
        }
    }
}
