//! Matching text against a loaded artefact.
//!
//! Steps per text, in one pass: fold each character with the artefact's table as it is read
//! and feed its folded form to the automaton, which finds every pattern occurrence
//! (overlapping, so 法轮 and 法轮功 both hit); drop occurrences that lie inside an
//! allow-listed occurrence, report block hits, then AND rules whose parts all occur. Spans
//! are given in the ORIGINAL text, as byte and character offsets. Cost: one table lookup and
//! one automaton step per character, O(1) per occurrence; linear in the text.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::artifact::{self, AndRule, ArtifactError, ArtifactHeader, Pattern};
use crate::fold_table::FoldTable;
use crate::manifest::{Manifest, ManifestError, PublicKey, SignedManifest};

/// A span of the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub byte_start: usize,
    pub byte_end: usize,
    pub char_start: usize,
    pub char_end: usize,
}

/// What kind of rule hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Keyword,
    AllOf,
}

/// One hit: the rule's term, its risks and where it was found. For AND rules `span` is the
/// first part's and `parts` has the first occurrence of every part. Borrowed from the
/// [`Filter`], so a hit costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit<'a> {
    pub term: &'a str,
    pub kind: HitKind,
    pub risks: &'a [String],
    pub span: Span,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Span>,
}

/// Why a verified load failed: the manifest (signature, key, hashes) or the artefact itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
}

/// A loaded, validated artefact, ready to match.
pub struct Filter {
    header: ArtifactHeader,
    table: FoldTable,
    risks: Vec<String>,
    patterns: Vec<Pattern>,
    /// Per pattern: index into `risk_sets`.
    pattern_risks: Vec<usize>,
    /// Per AND rule: index into `risk_sets`.
    and_risks: Vec<usize>,
    /// Distinct risk sets as codes.
    risk_sets: Vec<Vec<String>>,
    /// Per pattern: whether an AND rule uses it.
    and_part: Vec<bool>,
    /// Per pattern: its length in folded characters.
    pattern_chars: Vec<u32>,
    /// Slots in the ring of recent folded characters [`Filter::find`] keeps: the smallest
    /// power of two that is at least the longest pattern's length in characters.
    ring_len: usize,
    /// Whether any pattern is allow-listed.
    has_allow: bool,
    terms: fst::Map<Vec<u8>>,
    automaton: daachorse::CharwiseDoubleArrayAhoCorasick<u32>,
    and_rules: Vec<AndRule>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("header", &self.header)
            .finish()
    }
}

impl Filter {
    /// Loads an artefact, validating every part of it.
    pub fn load(bytes: &[u8]) -> Result<Self, ArtifactError> {
        let sections = artifact::load(bytes)?;
        let mut set_index: HashMap<u64, usize> = HashMap::new();
        let mut risk_sets = Vec::new();
        let mut index_of = |bits: u64| {
            *set_index.entry(bits).or_insert_with(|| {
                risk_sets.push(codes(&sections.risks, bits));
                risk_sets.len() - 1
            })
        };
        let pattern_risks = sections
            .patterns
            .iter()
            .map(|p| index_of(p.risk_bits))
            .collect();
        let and_risks = sections
            .and_rules
            .iter()
            .map(|r| index_of(r.risk_bits))
            .collect();
        let has_allow = sections.patterns.iter().any(|p| p.allow);
        let pattern_chars: Vec<u32> = sections
            .patterns
            .iter()
            .map(|p| u32::try_from(p.text.chars().count()).unwrap_or(u32::MAX))
            .collect();
        let ring_len = pattern_chars
            .iter()
            .max()
            .map_or(1, |&longest| (longest as usize).next_power_of_two());
        let mut and_part = vec![false; sections.patterns.len()];
        for rule in &sections.and_rules {
            for part in &rule.parts {
                and_part[*part as usize] = true;
            }
        }
        Ok(Self {
            header: sections.header,
            table: sections.table,
            risks: sections.risks,
            patterns: sections.patterns,
            pattern_risks,
            and_risks,
            risk_sets,
            and_part,
            pattern_chars,
            ring_len,
            has_allow,
            terms: sections.terms,
            automaton: sections.automaton,
            and_rules: sections.and_rules,
        })
    }

    /// Loads an artefact and refuses one built with another fold profile than
    /// `fold_profile_hash` (for services that pin the profile they were tested with).
    pub fn load_expecting(bytes: &[u8], fold_profile_hash: &str) -> Result<Self, ArtifactError> {
        let header = artifact::read_header(bytes)?;
        if header.fold_profile_hash != fold_profile_hash {
            return Err(ArtifactError::FoldProfile {
                found: format!("{} {}", header.fold_profile_id, header.fold_profile_hash),
                expected: fold_profile_hash.to_owned(),
            });
        }
        Self::load(bytes)
    }

    /// Loads an artefact only if it is the one its manifest names, and the manifest is
    /// trusted: signed by one of `trusted` (given none, an unsigned manifest is accepted: it
    /// then proves integrity, not origin). Checks, in order: the manifest's signatures, the
    /// artefact's size and SHA-256, then its header's build number and fold profile against
    /// the manifest, then every part of the artefact as [`Filter::load`] does.
    pub fn load_verified(
        artifact: &[u8],
        manifest: &SignedManifest,
        trusted: &[PublicKey],
    ) -> Result<(Self, Manifest), LoadError> {
        let manifest = manifest.open(trusted)?;
        manifest.check_artifact(artifact)?;
        let header = artifact::read_header(artifact)?;
        let stated = [
            (
                "build_number",
                header.build_number.to_string(),
                manifest.build_number.to_string(),
            ),
            (
                "fold_profile_id",
                header.fold_profile_id.clone(),
                manifest.fold_profile_id.clone(),
            ),
            (
                "fold_profile_hash",
                header.fold_profile_hash.clone(),
                manifest.fold_profile_hash.clone(),
            ),
        ];
        for (field, found, expected) in stated {
            if found != expected {
                return Err(ManifestError::ArtifactMismatch {
                    field,
                    expected,
                    found,
                }
                .into());
            }
        }
        Ok((Self::load(artifact)?, manifest))
    }

    pub fn header(&self) -> &ArtifactHeader {
        &self.header
    }

    /// The fold table the artefact carries.
    pub fn fold_table(&self) -> &FoldTable {
        &self.table
    }

    /// Every compiled pattern with its block / allow flags and risks, in folded order: what
    /// a diff between two builds compares.
    pub fn patterns(&self) -> impl Iterator<Item = PatternInfo<'_>> {
        use fst::Streamer;
        let mut out = Vec::with_capacity(self.patterns.len());
        let mut stream = self.terms.stream();
        while let Some((_, id)) = stream.next() {
            if let Some(pattern) = usize::try_from(id)
                .ok()
                .and_then(|id| self.patterns.get(id))
            {
                out.push(PatternInfo {
                    folded: &pattern.text,
                    term: &pattern.term,
                    block: pattern.block,
                    allow: pattern.allow,
                    risks: self.risk_codes(pattern.risk_bits),
                });
            }
        }
        out.into_iter()
    }

    /// The AND rules: (term, folded parts, risks).
    pub fn and_rules(&self) -> impl Iterator<Item = (&str, Vec<&str>, Vec<String>)> {
        self.and_rules.iter().map(|rule| {
            let parts = rule
                .parts
                .iter()
                .filter_map(|id| self.patterns.get(*id as usize).map(|p| p.text.as_str()))
                .collect();
            (rule.term.as_str(), parts, self.risk_codes(rule.risk_bits))
        })
    }

    fn risk_codes(&self, bits: u64) -> Vec<String> {
        codes(&self.risks, bits)
    }

    /// Every hit in `text`.
    ///
    /// One pass, folding inside the match loop: each character is folded with the table as it
    /// is read and its folded form goes straight into the automaton, so no folded copy of the
    /// text is made. The source position of each of the last [`Filter::ring_len`] folded
    /// characters is kept in a ring, so an occurrence's start maps back to the original text in
    /// O(1); its end is the end of the character being read. Cost: per character a table
    /// lookup and an automaton step, per occurrence O(1); allocates only the hits (and, when
    /// the artefact has allow-list patterns, the occurrences).
    pub fn find(&self, text: &str) -> Vec<Hit<'_>> {
        let mut hits = HitCollector::new(self);
        // Allow-list spans must all be known before a hit inside one can be dropped, and an
        // allow span may end after the hit: buffer only when the artefact has any.
        if self.has_allow {
            let mut occurrences = Vec::new();
            self.occurrences(text, |occurrence| occurrences.push(occurrence));
            let allowed = AllowSpans::new(
                occurrences
                    .iter()
                    .filter(|o| self.patterns[o.id].allow)
                    .map(|o| (o.folded_start, o.folded_end))
                    .collect(),
            );
            for occurrence in occurrences {
                if !allowed.strictly_contain(occurrence.folded_start, occurrence.folded_end) {
                    hits.add(occurrence);
                }
            }
        } else {
            self.occurrences(text, |occurrence| hits.add(occurrence));
        }
        hits.finish()
    }

    /// Calls `found` with every pattern occurrence in the folded form of `text`, overlapping,
    /// in order of end (at one end, longest first): what daachorse's overlapping search over
    /// the folded text reports, with spans in the original text.
    ///
    /// Invariant: the ring holds at least as many slots as the longest pattern has characters,
    /// and slot `k % ring_len` holds the source character of folded character `k` until
    /// folded character `k + ring_len` is read; an occurrence of `n` characters ending after
    /// folded character `k - 1` starts at folded character `k - n`, still in the ring.
    #[inline]
    fn occurrences(&self, text: &str, mut found: impl FnMut(Occurrence)) {
        let mut on_stack = [Origin::default(); RING_ON_STACK];
        let mut on_heap = Vec::new();
        let ring: &mut [Origin] = if self.ring_len <= RING_ON_STACK {
            &mut on_stack[..self.ring_len]
        } else {
            on_heap.resize(self.ring_len, Origin::default());
            &mut on_heap
        };
        let mask = ring.len() - 1;
        let mut stepper = self.automaton.find_overlapping_stepper();
        // Folded characters read so far.
        let mut folded = 0usize;
        for (char_index, (byte, c)) in text.char_indices().enumerate() {
            let origin = Origin {
                byte,
                char: char_index,
            };
            let byte_end = byte + c.len_utf8();
            self.table.fold_char(c, |folded_char| {
                ring[folded & mask] = origin;
                folded += 1;
                stepper.consume(folded_char);
                for m in stepper.matches() {
                    let id = m.value() as usize;
                    // The placeholder automaton of an empty lexicon has an id past the patterns.
                    let Some(&chars) = self.pattern_chars.get(id) else {
                        continue;
                    };
                    let folded_start = folded - chars as usize;
                    let start = ring[folded_start & mask];
                    found(Occurrence {
                        id,
                        folded_start,
                        folded_end: folded,
                        span: Span {
                            byte_start: start.byte,
                            byte_end,
                            char_start: start.char,
                            char_end: char_index + 1,
                        },
                    });
                }
            });
        }
    }
}

/// Ring slots kept on the stack; artefacts with longer patterns put their ring on the heap.
const RING_ON_STACK: usize = 64;

/// Where a folded character came from: the start of its source character, in bytes and in
/// characters.
#[derive(Debug, Clone, Copy, Default)]
struct Origin {
    byte: usize,
    char: usize,
}

/// One pattern occurrence: its folded range in characters (what allow-list containment is
/// decided on) and its span in the original text.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    id: usize,
    folded_start: usize,
    folded_end: usize,
    span: Span,
}

/// Turns occurrences, in order, into hits: block patterns as they come, AND rules at the end
/// from the first occurrence of each of their parts.
struct HitCollector<'a> {
    filter: &'a Filter,
    hits: Vec<Hit<'a>>,
    first_part: HashMap<usize, Span>,
}

impl<'a> HitCollector<'a> {
    fn new(filter: &'a Filter) -> Self {
        Self {
            filter,
            hits: Vec::new(),
            first_part: HashMap::new(),
        }
    }

    #[inline]
    fn add(&mut self, occurrence: Occurrence) {
        let filter = self.filter;
        let id = occurrence.id;
        if filter.and_part[id] {
            self.first_part.entry(id).or_insert(occurrence.span);
        }
        let pattern = &filter.patterns[id];
        if pattern.block {
            self.hits.push(Hit {
                term: &pattern.term,
                kind: HitKind::Keyword,
                risks: &filter.risk_sets[filter.pattern_risks[id]],
                span: occurrence.span,
                parts: Vec::new(),
            });
        }
    }

    fn finish(mut self) -> Vec<Hit<'a>> {
        let filter = self.filter;
        if self.first_part.is_empty() {
            return self.hits;
        }
        for (rule, risks) in filter.and_rules.iter().zip(&filter.and_risks) {
            let parts: Option<Vec<Span>> = rule
                .parts
                .iter()
                .map(|id| self.first_part.get(&(*id as usize)).copied())
                .collect();
            if let Some(parts) = parts {
                self.hits.push(Hit {
                    term: &rule.term,
                    kind: HitKind::AllOf,
                    risks: &filter.risk_sets[*risks],
                    span: parts[0],
                    parts,
                });
            }
        }
        self.hits
    }
}

/// Allow-listed spans of one text, answering "does one strictly contain this span?" with two
/// binary searches (sorted by start, with the running maximum of their ends).
struct AllowSpans {
    spans: Vec<(usize, usize)>,
    max_end: Vec<usize>,
}

impl AllowSpans {
    fn new(mut spans: Vec<(usize, usize)>) -> Self {
        spans.sort_unstable();
        let max_end = spans
            .iter()
            .scan(0, |max, &(_, end)| {
                *max = (*max).max(end);
                Some(*max)
            })
            .collect();
        Self { spans, max_end }
    }

    /// Whether a span `[a, b)` with `a <= start`, `end <= b` and `(a, b) != (start, end)` exists.
    fn strictly_contain(&self, start: usize, end: usize) -> bool {
        let before = self.spans.partition_point(|&(s, _)| s < start);
        if before > 0 && self.max_end[before - 1] >= end {
            return true;
        }
        let through = self.spans.partition_point(|&(s, _)| s <= start);
        through > before && self.max_end[through - 1] > end
    }
}

/// The codes of the risks set in `bits`.
fn codes(risks: &[String], bits: u64) -> Vec<String> {
    risks
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, code)| code.clone())
        .collect()
}

/// A compiled pattern as [`Filter::patterns`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternInfo<'a> {
    pub folded: &'a str,
    pub term: &'a str,
    pub block: bool,
    pub allow: bool,
    pub risks: Vec<String>,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::artifact::{ArtifactInput, RuleInput, RuleKind, write};
    use crate::checksum::sha256_hex;

    /// A small stand-in for the server's fold profile: full width, one traditional form,
    /// separators and a zero-width space.
    fn table() -> FoldTable {
        FoldTable::from_mappings([
            ('Ａ', "a".to_owned()),
            ('A', "a".to_owned()),
            ('輪', "轮".to_owned()),
            ('ﬁ', "fi".to_owned()),
            ('*', String::new()),
            (' ', String::new()),
            ('\u{200B}', String::new()),
        ])
    }

    fn rule(term: &str, kind: RuleKind, risks: &[&str]) -> RuleInput {
        let table = table();
        RuleInput {
            term: term.to_owned(),
            kind,
            parts: term.split('+').map(|p| table.fold(p)).collect(),
            risks: risks.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn build(rules: &[RuleInput]) -> Vec<u8> {
        let table = table();
        let risks = vec!["A.1.a".to_owned(), "A.1.f".to_owned()];
        write(&ArtifactInput {
            build_number: 7,
            fold_profile_id: "test",
            fold_profile_hash: &sha256_hex(&table.canonical_bytes()),
            table: &table,
            risks: &risks,
            rules,
        })
        .unwrap()
    }

    fn sample() -> Vec<u8> {
        build(&[
            rule("法轮功", RuleKind::Block, &["A.1.a"]),
            rule("大麻", RuleKind::Block, &["A.1.f"]),
            rule("大麻烦", RuleKind::Allow, &[]),
            rule("枪+出售", RuleKind::AllOf, &["A.1.f"]),
            rule("AA", RuleKind::Block, &["A.1.a", "A.1.f"]),
        ])
    }

    #[test]
    fn spans_point_into_the_original_text_through_folding() {
        let filter = Filter::load(&sample()).unwrap();
        let text = "他说：法 *輪\u{200B}功！";
        let hits = filter.find(text);
        assert_eq!(hits.len(), 1);
        let span = hits[0].span;
        assert_eq!(&text[span.byte_start..span.byte_end], "法 *輪\u{200B}功");
        assert_eq!((span.char_start, span.char_end), (3, 9));
        assert_eq!(hits[0].term, "法轮功");
        assert_eq!(hits[0].risks, ["A.1.a"]);
        let wide = filter.find("xＡa");
        assert_eq!(wide[0].risks, ["A.1.a", "A.1.f"]);
        assert_eq!((wide[0].span.char_start, wide[0].span.char_end), (1, 3));
    }

    #[test]
    fn allow_list_entries_suppress_the_hits_inside_them() {
        let filter = Filter::load(&sample()).unwrap();
        assert!(filter.find("真是大麻烦").is_empty());
        assert_eq!(filter.find("大麻和大麻烦").len(), 1);
    }

    #[test]
    fn a_text_full_of_allowed_terms_matches_nothing() {
        let filter = Filter::load(&sample()).unwrap();
        assert!(filter.find(&"大麻烦".repeat(20_000)).is_empty());
        let spans = AllowSpans::new(vec![(0, 9), (3, 6), (12, 15)]);
        assert!(spans.strictly_contain(3, 6), "inside (0, 9)");
        assert!(spans.strictly_contain(0, 6));
        assert!(!spans.strictly_contain(0, 9), "equal spans do not count");
        assert!(!spans.strictly_contain(12, 15));
        assert!(!spans.strictly_contain(9, 12));
    }

    #[test]
    fn and_rules_need_every_part() {
        let filter = Filter::load(&sample()).unwrap();
        assert!(filter.find("出售二手书").is_empty());
        let hits = filter.find("出售一把枪");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].kind, HitKind::AllOf);
        assert_eq!(hits[0].parts.len(), 2);
    }

    #[test]
    fn corrupted_truncated_and_foreign_artefacts_are_refused() {
        let bytes = sample();
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0xFF;
        assert_eq!(Filter::load(&flipped).unwrap_err(), ArtifactError::Checksum);
        let truncated = &bytes[..bytes.len() - 40];
        assert!(Filter::load(truncated).is_err());
        assert_eq!(
            Filter::load(b"GIF89a").unwrap_err(),
            ArtifactError::BadMagic
        );
        let mut future = bytes.clone();
        future[8..12].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(
            Filter::load(&future).unwrap_err(),
            ArtifactError::UnsupportedVersion { found: 2 }
        );
        let err = Filter::load_expecting(&bytes, "another-hash").unwrap_err();
        assert!(err.to_string().contains("fold profile"), "{err}");
        assert!(Filter::load_expecting(&bytes, &sha256_hex(&table().canonical_bytes())).is_ok());
    }

    /// The manifest `bytes` would be published with.
    fn manifest_of(bytes: &[u8]) -> Manifest {
        let header = artifact::read_header(bytes).unwrap();
        Manifest {
            build_number: header.build_number,
            artifact_sha256: sha256_hex(bytes),
            artifact_size: bytes.len() as u64,
            fold_profile_id: header.fold_profile_id,
            fold_profile_hash: header.fold_profile_hash,
            created_at: "2026-12-06T10:00:00Z".into(),
            signer_key_id: None,
        }
    }

    #[test]
    fn a_verified_load_takes_only_the_artefact_its_signed_manifest_names() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let trusted = [PublicKey::from(key.verifying_key())];
        let bytes = sample();
        let signed = SignedManifest::sign(&manifest_of(&bytes), Some(&key));
        let (filter, manifest) = Filter::load_verified(&bytes, &signed, &trusted).unwrap();
        assert_eq!(manifest.build_number, 7);
        assert_eq!(filter.find("法轮功").len(), 1);

        // Another artefact under this manifest: its hash gives it away.
        let other = build(&[rule("大麻", RuleKind::Block, &["A.1.f"])]);
        let err = Filter::load_verified(&other, &signed, &trusted).unwrap_err();
        assert!(matches!(
            err,
            LoadError::Manifest(ManifestError::ArtifactMismatch { .. })
        ));
        // A manifest stating what the artefact's header contradicts, even if signed.
        let mut lying = manifest_of(&bytes);
        lying.build_number = 8;
        let signed_lie = SignedManifest::sign(&lying, Some(&key));
        let err = Filter::load_verified(&bytes, &signed_lie, &trusted).unwrap_err();
        assert_eq!(
            err,
            LoadError::Manifest(ManifestError::ArtifactMismatch {
                field: "build_number",
                expected: "8".into(),
                found: "7".into()
            })
        );
        // Unsigned: accepted only when no key is trusted.
        let unsigned = SignedManifest::sign(&manifest_of(&bytes), None);
        assert!(Filter::load_verified(&bytes, &unsigned, &[]).is_ok());
        assert_eq!(
            Filter::load_verified(&bytes, &unsigned, &trusted).unwrap_err(),
            LoadError::Manifest(ManifestError::Unsigned)
        );
    }

    #[test]
    fn an_empty_lexicon_matches_nothing() {
        let filter = Filter::load(&build(&[])).unwrap();
        assert!(filter.find("法轮功").is_empty());
        assert_eq!(filter.header().patterns, 0);
    }

    /// The two-pass implementation [`Filter::find`] replaced, kept as its reference: fold the
    /// whole text with offsets, run daachorse's overlapping search over the folded copy, map
    /// spans back with a region cursor and count characters with [`CharOffsets`].
    fn two_pass<'a>(filter: &'a Filter, text: &str) -> Vec<Hit<'a>> {
        let folded = filter.table.fold_with_offsets(text);
        let occurrences: Vec<(usize, usize, usize)> = filter
            .automaton
            .find_overlapping_iter(&folded.text)
            .map(|m| (m.value() as usize, m.start(), m.end()))
            .filter(|(id, _, _)| *id < filter.patterns.len())
            .collect();
        let allowed = AllowSpans::new(
            occurrences
                .iter()
                .filter(|(id, _, _)| filter.patterns[*id].allow)
                .map(|&(_, start, end)| (start, end))
                .collect(),
        );
        let mut sources = folded.cursor();
        let mut chars = CharOffsets::new(text);
        let mut span_of = |start: usize, end: usize| {
            let source = sources.source_range(start..end);
            Span {
                byte_start: source.start,
                byte_end: source.end,
                char_start: chars.char_at(source.start),
                char_end: chars.char_at(source.end),
            }
        };
        let mut hits = Vec::new();
        let mut first_part: HashMap<usize, (usize, usize)> = HashMap::new();
        for (id, start, end) in occurrences {
            let pattern = &filter.patterns[id];
            if !pattern.block && !filter.and_part[id] || allowed.strictly_contain(start, end) {
                continue;
            }
            if filter.and_part[id] {
                first_part.entry(id).or_insert((start, end));
            }
            if pattern.block {
                hits.push(Hit {
                    term: &pattern.term,
                    kind: HitKind::Keyword,
                    risks: &filter.risk_sets[filter.pattern_risks[id]],
                    span: span_of(start, end),
                    parts: Vec::new(),
                });
            }
        }
        for (rule, risks) in filter.and_rules.iter().zip(&filter.and_risks) {
            let parts: Option<Vec<(usize, usize)>> = rule
                .parts
                .iter()
                .map(|id| first_part.get(&(*id as usize)).copied())
                .collect();
            if let Some(parts) = parts {
                let parts: Vec<Span> = parts.into_iter().map(|(s, e)| span_of(s, e)).collect();
                hits.push(Hit {
                    term: &rule.term,
                    kind: HitKind::AllOf,
                    risks: &filter.risk_sets[*risks],
                    span: parts[0],
                    parts,
                });
            }
        }
        hits
    }

    /// Byte → character offsets for queries that move mostly forward (overlapping matches come
    /// in end order, so a start may step back by up to one pattern length): each query costs the
    /// distance from the previous one.
    struct CharOffsets<'a> {
        text: &'a str,
        byte: usize,
        chars: usize,
    }

    impl<'a> CharOffsets<'a> {
        fn new(text: &'a str) -> Self {
            Self {
                text,
                byte: 0,
                chars: 0,
            }
        }

        fn char_at(&mut self, byte: usize) -> usize {
            if byte < self.byte {
                self.chars -= self.text[byte..self.byte].chars().count();
            } else {
                self.chars += self.text[self.byte..byte].chars().count();
            }
            self.byte = byte;
            self.chars
        }
    }

    /// Naive matching of the entry list on folded text: what the artefact must agree with.
    fn naive(rules: &[RuleInput], text: &str) -> Vec<(String, usize, usize)> {
        let folded = table().fold_with_offsets(text);
        let mut found = Vec::new();
        for rule in rules.iter().filter(|r| r.kind == RuleKind::Block) {
            let pattern = &rule.parts[0];
            let mut from = 0;
            while let Some(at) = folded.text[from..].find(pattern.as_str()) {
                let start = from + at;
                let range = folded.source_range(start..start + pattern.len());
                found.push((rule.term.clone(), range.start, range.end));
                from = start + pattern.chars().next().map_or(1, char::len_utf8);
            }
        }
        found.sort();
        found
    }

    proptest! {
        #[test]
        fn one_pass_matching_agrees_with_two_passes(
            rules in proptest::collection::vec(
                ("[法轮功大麻Afi輪ﬁ]{1,3}", "[法轮功大麻Afi輪ﬁ]{1,3}", 0..4u8),
                0..10,
            ),
            text in "[法轮功大麻Aafi輪Ａﬁ* \u{200B}]{0,60}",
        ) {
            let table = table();
            let rules: Vec<RuleInput> = rules
                .iter()
                .filter(|(a, b, _)| !table.fold(a).is_empty() && !table.fold(b).is_empty())
                .map(|(a, b, kind)| match kind {
                    0 => rule(a, RuleKind::Block, &["A.1.a"]),
                    1 => rule(a, RuleKind::Block, &["A.1.f"]),
                    2 => rule(a, RuleKind::Allow, &[]),
                    _ => rule(&format!("{a}+{b}"), RuleKind::AllOf, &["A.1.f"]),
                })
                .collect();
            let filter = Filter::load(&build(&rules)).unwrap();
            prop_assert_eq!(filter.find(&text), two_pass(&filter, &text));
        }

        #[test]
        fn the_artefact_matches_like_the_entry_list(
            terms in proptest::collection::btree_set("[法轮功大麻Aa]{1,3}", 1..8),
            text in "[法轮功大麻Aa輪Ａ* \u{200B}]{0,40}",
        ) {
            let table = table();
            let mut seen = std::collections::BTreeSet::new();
            let rules: Vec<RuleInput> = terms
                .iter()
                .filter(|t| seen.insert(table.fold(t)))
                .map(|t| rule(t, RuleKind::Block, &["A.1.a"]))
                .collect();
            let filter = Filter::load(&build(&rules)).unwrap();
            let mut got: Vec<(String, usize, usize)> = filter
                .find(&text)
                .into_iter()
                .map(|h| (h.term.to_owned(), h.span.byte_start, h.span.byte_end))
                .collect();
            got.sort();
            prop_assert_eq!(got, naive(&rules, &text));
        }
    }
}
