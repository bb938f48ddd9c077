//! Deriving a [`FoldTable`] from Unicode normalisation and OpenCC, once per process.
//!
//! Per character: NFKC (plus the circled digits it leaves alone), lower case, OpenCC traditional → simplified (tw2s, then hk2s, then
//! t2s, so Taiwan and Hong Kong variants fold too), then removal of white space, control and
//! format characters, variation selectors and the profile's separators. Outputs are folded
//! again until they are fixed points, which makes folding idempotent.
//!
//! OpenCC converts whole text at a few MB/s; here it runs once over every Han character
//! (about 100 000, one per line so no phrase spans two of them), which takes about a second.

use std::collections::HashMap;

use opencc_rust::{DefaultConfig, OpenCC};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::FoldTable;

/// The Han blocks OpenCC knows, plus radicals and ideographic marks.
const HAN_RANGES: [(u32, u32); 6] = [
    (0x2E80, 0x2FDF),
    (0x3005, 0x3007),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
];

/// Circled digits that NFKC leaves alone (dingbats ➀❶➊, negative and double circled ⓫⓵⓿),
/// as (first code point, last code point, number of the first).
const UNDECOMPOSED_CIRCLED_NUMBERS: [(u32, u32, u32); 7] = [
    (0x2776, 0x277F, 1),
    (0x2780, 0x2789, 1),
    (0x278A, 0x2793, 1),
    (0x24EB, 0x24F4, 11),
    (0x24F5, 0x24FE, 1),
    (0x24FF, 0x24FF, 0),
    (0x1F10B, 0x1F10C, 0),
];

/// The number a circled digit NFKC leaves alone stands for.
fn circled_number(c: char) -> Option<u32> {
    let code = c as u32;
    UNDECOMPOSED_CIRCLED_NUMBERS
        .iter()
        .find(|(first, last, _)| (*first..=*last).contains(&code))
        .map(|(first, _, number)| number + code - first)
}

/// The OpenCC configurations applied in order.
const CHINESE_CONVERSIONS: [DefaultConfig; 3] =
    [DefaultConfig::TW2S, DefaultConfig::HK2S, DefaultConfig::T2S];

/// What a derivation needs besides Unicode.
#[derive(Debug, Clone)]
pub struct DeriveOptions<'a> {
    /// Characters removed wherever they appear.
    pub separators: &'a [char],
    /// Whether to fold traditional to simplified Chinese (off only to explain, in reports,
    /// which terms fold together through OpenCC alone).
    pub chinese_conversion: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeriveError {
    #[error("OpenCC cannot load {config}: {message} (is libopencc installed with its data?)")]
    OpenCc {
        config: &'static str,
        message: &'static str,
    },
}

/// Derives the table; see the module documentation for the steps.
pub fn derive(options: &DeriveOptions<'_>) -> Result<FoldTable, DeriveError> {
    let chinese = if options.chinese_conversion {
        traditional_to_simplified()?
    } else {
        HashMap::new()
    };
    let removed = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || c.general_category() == GeneralCategory::Format
            || ('\u{FE00}'..='\u{FE0F}').contains(&c)
            || ('\u{E0100}'..='\u{E01EF}').contains(&c)
            || options.separators.contains(&c)
    };
    let mut mappings = Vec::new();
    for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
        if let Some(number) = circled_number(c) {
            mappings.push((c, number.to_string()));
            continue;
        }
        let mut folded = String::new();
        for normalized in std::iter::once(c).nfkc() {
            for lower in normalized.to_lowercase() {
                if removed(lower) {
                    continue;
                }
                match chinese.get(&lower) {
                    Some(simplified) => folded.push_str(simplified),
                    None => folded.push(lower),
                }
            }
        }
        mappings.push((c, folded));
    }
    Ok(to_fixed_point(FoldTable::from_mappings(mappings)))
}

/// Refolds every output until folding it changes nothing.
fn to_fixed_point(mut table: FoldTable) -> FoldTable {
    loop {
        let refolded: Vec<(char, String)> = table
            .mappings()
            .map(|(c, folded)| (c, table.fold(folded)))
            .collect();
        let stable = refolded
            .iter()
            .zip(table.mappings())
            .all(|((_, again), (_, once))| again == once);
        if stable {
            return table;
        }
        table = FoldTable::from_mappings(refolded);
    }
}

/// Every Han character that OpenCC changes, with its simplified form.
fn traditional_to_simplified() -> Result<HashMap<char, String>, DeriveError> {
    let han: Vec<char> = HAN_RANGES
        .iter()
        .flat_map(|&(start, end)| (start..=end).filter_map(char::from_u32))
        .collect();
    let mut current: Vec<String> = han.iter().map(|c| c.to_string()).collect();
    for config in CHINESE_CONVERSIONS {
        let converter = OpenCC::new(config).map_err(|message| DeriveError::OpenCc {
            config: config.get_file_name(),
            message,
        })?;
        let converted = converter.convert(current.join("\n"));
        let lines: Vec<&str> = converted.split('\n').collect();
        current = if lines.len() == current.len() {
            lines.into_iter().map(str::to_owned).collect()
        } else {
            // A conversion that merged or split lines: convert one by one instead.
            current.iter().map(|s| converter.convert(s)).collect()
        };
    }
    Ok(han
        .into_iter()
        .zip(current)
        .filter(|(c, simplified)| simplified.chars().ne(std::iter::once(*c)))
        .collect())
}
