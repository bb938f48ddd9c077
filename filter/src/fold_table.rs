//! The folding table and its application.
//!
//! Invariants: every mapping's output is a fixed point (folding folded text changes nothing),
//! and characters without a mapping fold to themselves. Lookup is two-level (page of 256 code
//! points, then slot), O(1) per character, and runs of characters that fold to themselves are
//! copied in one piece. Cost: one pass over the input, output no longer than the input plus
//! NFKC expansions.

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

/// Folded text with the way back to the source: a match in folded text can be shown in the
/// original.
///
/// Only characters whose folded form is not one character of the same byte length (removed,
/// width-folded, expanded like ﬃ → ffi) are recorded, as regions; everywhere else folded and
/// source offsets differ by a constant. Chinese text is mostly length-preserving (including
/// traditional → simplified), so this costs little memory and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldedText {
    pub text: String,
    regions: Vec<Region>,
}

/// One source character whose folded form is not one character of its length: folded bytes
/// `folded_start..folded_end` came from source bytes `source_start..source_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Region {
    folded_start: usize,
    folded_end: usize,
    source_start: usize,
    source_end: usize,
}

impl FoldedText {
    /// The source byte range of the folded byte range `folded`, whose ends must be character
    /// boundaries of the folded text. Cost: two binary searches over the regions; for many
    /// ranges in order, [`FoldedText::cursor`] is cheaper.
    pub fn source_range(&self, folded: Range<usize>) -> Range<usize> {
        self.cursor().source_range(folded)
    }

    /// A mapper for ranges that come in (roughly) increasing order, as automaton matches do:
    /// each lookup walks from the previous one instead of searching.
    pub fn cursor(&self) -> SourceCursor<'_> {
        SourceCursor {
            regions: &self.regions,
            next: 0,
        }
    }
}

/// Maps folded ranges back to the source, remembering where the last lookup ended.
#[derive(Debug, Clone)]
pub struct SourceCursor<'a> {
    regions: &'a [Region],
    /// Index of the first region with `folded_end > ` the last queried offset.
    next: usize,
}

impl SourceCursor<'_> {
    /// Moves `next` to the first region whose folded end is past `at`.
    fn seek(&mut self, at: usize) {
        let before = |r: &Region| r.folded_end <= at;
        while self.next > 0 && !before(&self.regions[self.next - 1]) {
            self.next -= 1;
        }
        while self.next < self.regions.len() && before(&self.regions[self.next]) {
            self.next += 1;
        }
    }

    /// The source offset of `at` as a span start: inside an expanded character, its start;
    /// after removed characters, the position after them.
    fn source_start(&mut self, at: usize) -> usize {
        self.seek(at);
        if let Some(region) = self.regions.get(self.next)
            && region.folded_start <= at
            && at < region.folded_end
        {
            return region.source_start;
        }
        match self.next.checked_sub(1).map(|i| self.regions[i]) {
            Some(region) => at - region.folded_end + region.source_end,
            None => at,
        }
    }

    /// The source offset of `at` as the exclusive end of a non-empty span: the end of the
    /// source character of the folded byte before it.
    fn source_end(&mut self, at: usize) -> usize {
        let last = at - 1;
        self.seek(last);
        if let Some(region) = self.regions.get(self.next)
            && region.folded_start <= last
            && last < region.folded_end
        {
            return region.source_end;
        }
        let source_last = match self.next.checked_sub(1).map(|i| self.regions[i]) {
            Some(region) => last - region.folded_end + region.source_end,
            None => last,
        };
        source_last + 1
    }

    /// The source byte range of the folded byte range `folded` (ends on folded character
    /// boundaries).
    pub fn source_range(&mut self, folded: Range<usize>) -> Range<usize> {
        let start = self.source_start(folded.start);
        if folded.is_empty() {
            return start..start;
        }
        start..self.source_end(folded.end)
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

    /// The folded form of `c`, or `None` when `c` folds to itself.
    #[inline]
    fn mapped(&self, c: char) -> Option<Mapped<'_>> {
        let code = c as usize;
        let page = self.page_of[code >> PAGE_BITS] as usize;
        match self.slots[page * PAGE_SIZE + (code & (PAGE_SIZE - 1))] {
            IDENTITY => None,
            REMOVED => Some(Mapped::Removed),
            s if s >= EXPANSION => Some(Mapped::Text(&self.expansions[(s - EXPANSION) as usize])),
            s => char::from_u32(s).map(Mapped::Char),
        }
    }

    /// Calls `emit` with each character of the folded form of `c`, in order: `c` itself when
    /// it folds to itself, nothing when it is removed. One O(1) lookup; what matching runs per
    /// character when it folds inside its scan instead of folding the text first.
    #[inline(always)]
    pub(crate) fn fold_char(&self, c: char, mut emit: impl FnMut(char)) {
        match self.mapped(c) {
            None => emit(c),
            Some(Mapped::Removed) => {}
            Some(Mapped::Char(folded)) => emit(folded),
            Some(Mapped::Text(folded)) => folded.chars().for_each(emit),
        }
    }

    /// Folds `text` into `out`, copying runs of characters that fold to themselves in one
    /// piece; calls `changed(source_start, source_char, folded_start, one_char)` after each
    /// character that folded to something else.
    #[inline]
    fn fold_into(
        &self,
        text: &str,
        out: &mut String,
        mut changed: impl FnMut(usize, char, usize, bool, &String),
    ) {
        let mut run_start = 0;
        for (at, c) in text.char_indices() {
            let Some(mapped) = self.mapped(c) else {
                continue;
            };
            out.push_str(&text[run_start..at]);
            run_start = at + c.len_utf8();
            let folded_start = out.len();
            let one_char = match mapped {
                Mapped::Removed => false,
                Mapped::Char(folded) => {
                    out.push(folded);
                    true
                }
                Mapped::Text(folded) => {
                    out.push_str(folded);
                    false
                }
            };
            changed(at, c, folded_start, one_char, out);
        }
        out.push_str(&text[run_start..]);
    }

    /// Folds `text`.
    pub fn fold(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.fold_into(text, &mut out, |_, _, _, _, _| {});
        out
    }

    /// Folds `text`, keeping the way back to the source (see [`FoldedText`]).
    pub fn fold_with_offsets(&self, text: &str) -> FoldedText {
        let mut out = String::with_capacity(text.len());
        let mut regions = Vec::new();
        self.fold_into(
            text,
            &mut out,
            |source_start, c, folded_start, one_char, out| {
                if !one_char || out.len() - folded_start != c.len_utf8() {
                    regions.push(Region {
                        folded_start,
                        folded_end: out.len(),
                        source_start,
                        source_end: source_start + c.len_utf8(),
                    });
                }
            },
        );
        FoldedText { text: out, regions }
    }
}

/// What a character that does not fold to itself becomes.
enum Mapped<'a> {
    Removed,
    Char(char),
    Text(&'a str),
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
            ('ﬃ', "ffi".to_owned()),
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
        assert_eq!(table().mappings().count(), 7);
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

    /// The per-byte mapping the regions replace: for each folded byte, its source character.
    fn dense(table: &FoldTable, text: &str) -> (String, Vec<(usize, usize)>) {
        let mut out = String::new();
        let mut sources = Vec::new();
        for (start, c) in text.char_indices() {
            let folded = table.fold(c.encode_utf8(&mut [0; 4]));
            out.push_str(&folded);
            sources.extend(std::iter::repeat_n(
                (start, start + c.len_utf8()),
                folded.len(),
            ));
        }
        (out, sources)
    }

    proptest::proptest! {
        #[test]
        fn regions_map_like_a_per_byte_table(text in "[a-zA臺灣Ａ①㈱\u{200B} ]{0,24}") {
            let table = table();
            let folded = table.fold_with_offsets(&text);
            let (dense_text, sources) = dense(&table, &text);
            proptest::prop_assert_eq!(&folded.text, &dense_text);
            let boundaries: Vec<usize> = folded
                .text
                .char_indices()
                .map(|(i, _)| i)
                .chain([folded.text.len()])
                .collect();
            for (i, &start) in boundaries.iter().enumerate() {
                for &end in &boundaries[i + 1..] {
                    let expected = sources[start].0..sources[end - 1].1;
                    proptest::prop_assert_eq!(folded.source_range(start..end), expected);
                }
            }
        }
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
