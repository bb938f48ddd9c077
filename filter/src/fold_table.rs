//! The folding table and its application.
//!
//! Invariants: every mapping's output is a fixed point (folding folded text changes nothing),
//! and characters without a mapping fold to themselves. Lookup is two-level (page of 256 code
//! points, then slot), O(1) per character; ASCII takes a 128-entry fast path. Cost: one pass
//! over the input, output no longer than the input plus NFKC expansions.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::checksum::sha256_hex;

/// A slot value: the character folds to itself.
const IDENTITY: u32 = u32::MAX;
/// A slot value: the character is removed.
const REMOVED: u32 = u32::MAX - 1;
/// A slot value at or above this (and below [`REMOVED`]) indexes `expansions`.
const EXPANSION: u32 = 0x8000_0000;
const PAGE_BITS: u32 = 8;
const PAGE_SIZE: usize = 1 << PAGE_BITS;
const PAGES: usize = (char::MAX as usize >> PAGE_BITS) + 1;

/// Per-character folding, built from an explicit list of mappings.
#[derive(Clone)]
pub struct FoldTable {
    /// Page index per high part of the code point; page 0 is all identity.
    page_of: Vec<u16>,
    /// `PAGE_SIZE` slots per page.
    slots: Vec<u32>,
    /// Multi-character outputs.
    expansions: Vec<String>,
    /// The mappings, sorted: the table's canonical content.
    mappings: BTreeMap<char, String>,
}

impl std::fmt::Debug for FoldTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FoldTable")
            .field("mappings", &self.mappings.len())
            .finish()
    }
}

/// Folded text with, for each folded byte, the byte range of the source character it came
/// from, so that a match in folded text can be shown in the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedText {
    pub text: String,
    source_starts: Vec<u32>,
    source_ends: Vec<u32>,
}

impl FoldedText {
    /// The source byte range of the folded byte range `folded` (empty folded ranges map to an
    /// empty range). Panics if `folded` is out of bounds.
    pub fn source_range(&self, folded: Range<usize>) -> Range<usize> {
        if folded.is_empty() {
            let at = self
                .source_starts
                .get(folded.start)
                .copied()
                .or_else(|| self.source_ends.last().copied())
                .unwrap_or(0) as usize;
            return at..at;
        }
        self.source_starts[folded.start] as usize..self.source_ends[folded.end - 1] as usize
    }
}

impl FoldTable {
    /// Builds the table from `(character, folded form)` pairs; an empty form removes the
    /// character. Mappings of a character to itself are dropped.
    pub fn from_mappings(mappings: impl IntoIterator<Item = (char, String)>) -> Self {
        let mappings: BTreeMap<char, String> = mappings
            .into_iter()
            .filter(|(c, folded)| {
                let mut chars = folded.chars();
                !(chars.next() == Some(*c) && chars.next().is_none())
            })
            .collect();
        let mut page_of = vec![0u16; PAGES];
        let mut slots = vec![IDENTITY; PAGE_SIZE];
        let mut expansions = Vec::new();
        for (&c, folded) in &mappings {
            let code = c as usize;
            let page_index = code >> PAGE_BITS;
            if page_of[page_index] == 0 {
                page_of[page_index] = (slots.len() / PAGE_SIZE) as u16;
                slots.extend(std::iter::repeat_n(IDENTITY, PAGE_SIZE));
            }
            let slot = page_of[page_index] as usize * PAGE_SIZE + (code & (PAGE_SIZE - 1));
            let mut chars = folded.chars();
            slots[slot] = match (chars.next(), chars.next()) {
                (None, _) => REMOVED,
                (Some(single), None) => single as u32,
                _ => {
                    expansions.push(folded.clone());
                    EXPANSION + (expansions.len() as u32 - 1)
                }
            };
        }
        Self {
            page_of,
            slots,
            expansions,
            mappings,
        }
    }

    /// The mappings, in code point order.
    pub fn mappings(&self) -> impl Iterator<Item = (char, &str)> {
        self.mappings.iter().map(|(c, s)| (*c, s.as_str()))
    }

    /// The canonical bytes of the table: per mapping, the code point (u32 LE), the length of
    /// the folded form (u32 LE) and its UTF-8. Equal tables give equal bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (c, folded) in self.mappings() {
            bytes.extend_from_slice(&(c as u32).to_le_bytes());
            bytes.extend_from_slice(&(folded.len() as u32).to_le_bytes());
            bytes.extend_from_slice(folded.as_bytes());
        }
        bytes
    }

    /// Hex SHA-256 of [`canonical_bytes`](Self::canonical_bytes).
    pub fn content_hash(&self) -> String {
        sha256_hex(&self.canonical_bytes())
    }

    /// Calls `emit` with the folded form of `c`.
    #[inline]
    fn fold_char(&self, c: char, mut emit: impl FnMut(&str)) {
        let code = c as usize;
        let page = self.page_of[code >> PAGE_BITS] as usize;
        let slot = self.slots[page * PAGE_SIZE + (code & (PAGE_SIZE - 1))];
        match slot {
            IDENTITY => emit(c.encode_utf8(&mut [0; 4])),
            REMOVED => {}
            s if s >= EXPANSION => emit(&self.expansions[(s - EXPANSION) as usize]),
            s => match char::from_u32(s) {
                Some(folded) => emit(folded.encode_utf8(&mut [0; 4])),
                None => emit(c.encode_utf8(&mut [0; 4])),
            },
        }
    }

    /// Folds `text`.
    pub fn fold(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            self.fold_char(c, |folded| out.push_str(folded));
        }
        out
    }

    /// Folds `text`, keeping where each folded byte came from.
    pub fn fold_with_offsets(&self, text: &str) -> FoldedText {
        let mut out = String::with_capacity(text.len());
        let mut source_starts = Vec::with_capacity(text.len());
        let mut source_ends = Vec::with_capacity(text.len());
        for (start, c) in text.char_indices() {
            let end = (start + c.len_utf8()) as u32;
            self.fold_char(c, |folded| {
                out.push_str(folded);
                source_starts.extend(std::iter::repeat_n(start as u32, folded.len()));
                source_ends.extend(std::iter::repeat_n(end, folded.len()));
            });
        }
        FoldedText {
            text: out,
            source_starts,
            source_ends,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FoldTable {
        FoldTable::from_mappings([
            ('Ａ', "a".to_owned()),
            ('A', "a".to_owned()),
            ('臺', "台".to_owned()),
            ('①', "1".to_owned()),
            ('㈱', "(株)".to_owned()),
            ('\u{200B}', String::new()),
            ('x', "x".to_owned()),
        ])
    }

    #[test]
    fn applies_single_removed_and_expanded_mappings() {
        assert_eq!(table().fold("Ａ臺\u{200B}①㈱b"), "a台1(株)b");
    }

    #[test]
    fn identity_mappings_are_dropped() {
        assert_eq!(table().mappings().count(), 6);
    }

    #[test]
    fn offsets_point_back_into_the_source() {
        let source = "Ａ\u{200B}臺灣";
        let folded = table().fold_with_offsets(source);
        assert_eq!(folded.text, "a台灣");
        let tai = folded.text.find('台').unwrap();
        let range = folded.source_range(tai..tai + '台'.len_utf8());
        assert_eq!(&source[range], "臺");
        let all = folded.source_range(0..folded.text.len());
        assert_eq!(&source[all], source);
        assert_eq!(folded.source_range(1..1), 6..6);
    }

    #[test]
    fn equal_mappings_hash_equally() {
        let mut pairs: Vec<(char, String)> =
            table().mappings().map(|(c, s)| (c, s.to_owned())).collect();
        pairs.reverse();
        let reordered = FoldTable::from_mappings(pairs);
        assert_eq!(reordered.content_hash(), table().content_hash());
        let other = FoldTable::from_mappings([('A', "b".to_owned())]);
        assert_ne!(other.content_hash(), table().content_hash());
    }
}
