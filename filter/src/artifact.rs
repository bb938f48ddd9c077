//! The build artefact: writing it and loading it back with every part validated.
//!
//! Layout (all integers little-endian; `docs/artifact-format.md` has the full description):
//!
//! ```text
//! magic "LEXSETB\0" | u32 format version | u32 header length | header (JSON)
//! | u32 section count | per section: [u8; 4] tag, u64 offset, u64 length
//! | section bytes … | SHA-256 of everything before it (32 bytes)
//! ```
//!
//! Sections: `FOLD` fold table, `RISK` risk codes, `PATS` pattern records, `TERM` an
//! `fst::Map` from folded pattern to pattern id, `ANDR` AND rules. Loading checks the magic,
//! the version, the checksum, every section's bounds and contents, and that the fold table
//! hashes to the header's profile hash, then builds the daachorse automaton from `TERM`.
//!
//! Why the automaton is built at load rather than stored: serialized, daachorse's double
//! array is about 4× the raw size of the terms (5.6 MB for 100 000 keywords), while the FST
//! is about half of it; building at load costs a fraction of a second
//! (`docs/benchmarks.md`). The FST is the canonical, compact set of patterns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checksum::sha256_hex;
use crate::fold_table::FoldTable;

pub const MAGIC: &[u8; 8] = b"LEXSETB\0";
pub const FORMAT_VERSION: u32 = 1;
const CHECKSUM_LEN: usize = 32;
const TAGS: [&[u8; 4]; 5] = [b"FOLD", b"RISK", b"PATS", b"TERM", b"ANDR"];
/// Pattern flags in `PATS`.
const BLOCK: u8 = 1;
const ALLOW: u8 = 2;
/// The display term differs from the folded pattern and follows the record.
const OWN_TERM: u8 = 4;

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Intercept text containing the term.
    Block,
    /// Never intercept a hit that lies inside this longer term (大麻烦 against 大麻).
    Allow,
    /// Intercept text that contains every part (`A+B`).
    AllOf,
}

/// One rule to compile: its display term, its folded parts (one, except for `AllOf`) and its
/// risk codes (empty for `Allow`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    pub term: String,
    pub kind: RuleKind,
    pub parts: Vec<String>,
    pub risks: Vec<String>,
}

/// Everything an artefact is written from.
#[derive(Debug, Clone)]
pub struct ArtifactInput<'a> {
    pub build_number: u64,
    pub fold_profile_id: &'a str,
    pub fold_profile_hash: &'a str,
    pub table: &'a FoldTable,
    /// Risk codes; at most 64.
    pub risks: &'a [String],
    pub rules: &'a [RuleInput],
}

/// The artefact's header, readable without parsing the sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactHeader {
    pub build_number: u64,
    pub fold_profile_id: String,
    pub fold_profile_hash: String,
    pub patterns: u32,
    pub and_rules: u32,
}

/// Why an artefact could not be written or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    #[error("not a lexset artefact (bad magic bytes)")]
    BadMagic,
    #[error(
        "artefact format version {found} is not supported (this library reads version {FORMAT_VERSION})"
    )]
    UnsupportedVersion { found: u32 },
    #[error("artefact is truncated or malformed: {0}")]
    Malformed(String),
    #[error("artefact checksum mismatch: the file is corrupted")]
    Checksum,
    #[error("artefact was built with fold profile {found}, expected {expected}")]
    FoldProfile { found: String, expected: String },
    #[error("cannot write the artefact: {0}")]
    Build(String),
}

/// A pattern: one distinct folded string, with what it is used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub text: String,
    pub block: bool,
    pub allow: bool,
    /// Risks of the block rules with this pattern (bit i = risk i of the risk table).
    pub risk_bits: u64,
    /// The display term of the first block or allow rule with this pattern.
    pub term: String,
}

/// An AND rule: pattern ids that must all occur.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AndRule {
    pub parts: Vec<u32>,
    pub risk_bits: u64,
    pub term: String,
}

/// The parsed sections of a loaded artefact.
pub(crate) struct Sections {
    pub header: ArtifactHeader,
    pub table: FoldTable,
    pub risks: Vec<String>,
    pub patterns: Vec<Pattern>,
    pub terms: fst::Map<Vec<u8>>,
    pub automaton: daachorse::CharwiseDoubleArrayAhoCorasick<u32>,
    pub and_rules: Vec<AndRule>,
}

fn risk_bits(risks: &[String], table: &[String]) -> Result<u64, ArtifactError> {
    risks.iter().try_fold(0u64, |bits, code| {
        table
            .iter()
            .position(|r| r == code)
            .map(|i| bits | (1 << i))
            .ok_or_else(|| ArtifactError::Build(format!("risk {code} is not in the risk table")))
    })
}

/// LEB128: seven bits a byte, low bits first.
fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Writes the artefact for `input`. Cost: sorting the patterns, building the FST and the
/// automaton: linear in the total pattern length.
pub fn write(input: &ArtifactInput<'_>) -> Result<Vec<u8>, ArtifactError> {
    if input.risks.len() > 64 {
        return Err(ArtifactError::Build("more than 64 risks".to_owned()));
    }
    let mut by_text: BTreeMap<&str, Pattern> = BTreeMap::new();
    for rule in input.rules {
        if rule.parts.is_empty() || rule.parts.iter().any(String::is_empty) {
            return Err(ArtifactError::Build(format!(
                "rule {:?} has an empty part",
                rule.term
            )));
        }
        for part in &rule.parts {
            let pattern = by_text.entry(part.as_str()).or_insert_with(|| Pattern {
                text: part.clone(),
                block: false,
                allow: false,
                risk_bits: 0,
                term: String::new(),
            });
            match rule.kind {
                RuleKind::Block => {
                    pattern.block = true;
                    pattern.risk_bits |= risk_bits(&rule.risks, input.risks)?;
                }
                RuleKind::Allow => pattern.allow = true,
                RuleKind::AllOf => {}
            }
            if pattern.term.is_empty() && rule.kind != RuleKind::AllOf {
                pattern.term = rule.term.clone();
            }
        }
    }
    let patterns: Vec<Pattern> = by_text.into_values().collect();
    let id_of: BTreeMap<&str, u32> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| (p.text.as_str(), i as u32))
        .collect();
    let mut and_rules = Vec::new();
    for rule in input.rules.iter().filter(|r| r.kind == RuleKind::AllOf) {
        and_rules.push(AndRule {
            parts: rule.parts.iter().map(|p| id_of[p.as_str()]).collect(),
            risk_bits: risk_bits(&rule.risks, input.risks)?,
            term: rule.term.clone(),
        });
    }

    let mut fst_builder = fst::MapBuilder::memory();
    for (text, id) in &id_of {
        fst_builder
            .insert(text, u64::from(*id))
            .map_err(|e| ArtifactError::Build(e.to_string()))?;
    }
    let terms = fst_builder
        .into_inner()
        .map_err(|e| ArtifactError::Build(e.to_string()))?;

    let mut risk_section = Vec::new();
    risk_section.extend_from_slice(&(input.risks.len() as u32).to_le_bytes());
    for risk in input.risks {
        put_str(&mut risk_section, risk);
    }
    // Risk sets repeat: a table of distinct sets, then a varint index per pattern.
    let mut risk_sets: Vec<u64> = patterns.iter().map(|p| p.risk_bits).collect();
    risk_sets.sort_unstable();
    risk_sets.dedup();
    let mut pattern_section = Vec::new();
    put_varint(&mut pattern_section, risk_sets.len() as u64);
    for set in &risk_sets {
        pattern_section.extend_from_slice(&set.to_le_bytes());
    }
    put_varint(&mut pattern_section, patterns.len() as u64);
    for pattern in &patterns {
        let own_term = !pattern.term.is_empty() && pattern.term != pattern.text;
        pattern_section.push(
            if pattern.block { BLOCK } else { 0 }
                | if pattern.allow { ALLOW } else { 0 }
                | if own_term { OWN_TERM } else { 0 },
        );
        let set = risk_sets.binary_search(&pattern.risk_bits).unwrap_or(0);
        put_varint(&mut pattern_section, set as u64);
        if own_term {
            put_varint(&mut pattern_section, pattern.term.len() as u64);
            pattern_section.extend_from_slice(pattern.term.as_bytes());
        }
    }
    let mut and_section = Vec::new();
    and_section.extend_from_slice(&(and_rules.len() as u32).to_le_bytes());
    for rule in &and_rules {
        and_section.extend_from_slice(&rule.risk_bits.to_le_bytes());
        and_section.extend_from_slice(&(rule.parts.len() as u32).to_le_bytes());
        for part in &rule.parts {
            and_section.extend_from_slice(&part.to_le_bytes());
        }
        put_str(&mut and_section, &rule.term);
    }

    let header = ArtifactHeader {
        build_number: input.build_number,
        fold_profile_id: input.fold_profile_id.to_owned(),
        fold_profile_hash: input.fold_profile_hash.to_owned(),
        patterns: patterns.len() as u32,
        and_rules: and_rules.len() as u32,
    };
    let header_json =
        serde_json::to_vec(&header).map_err(|e| ArtifactError::Build(e.to_string()))?;
    let sections: [Vec<u8>; 5] = [
        input.table.canonical_bytes(),
        risk_section,
        pattern_section,
        terms,
        and_section,
    ];
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_json);
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    let table_len = sections.len() * (4 + 8 + 8);
    let mut offset = (out.len() + table_len) as u64;
    for (tag, bytes) in TAGS.iter().zip(&sections) {
        out.extend_from_slice(*tag);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        offset += bytes.len() as u64;
    }
    for bytes in &sections {
        out.extend_from_slice(bytes);
    }
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Reads little-endian values from a byte slice, failing with a message instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self { bytes, at: 0, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ArtifactError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| {
            ArtifactError::Malformed(format!("{} ends early at byte {}", self.what, self.at))
        })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, ArtifactError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, ArtifactError> {
        let mut raw = [0; 4];
        raw.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(raw))
    }

    fn u64(&mut self) -> Result<u64, ArtifactError> {
        let mut raw = [0; 8];
        raw.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(raw))
    }

    fn varint(&mut self) -> Result<u64, ArtifactError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ArtifactError::Malformed(format!(
            "{} holds an over-long varint",
            self.what
        )))
    }

    fn string(&mut self) -> Result<String, ArtifactError> {
        let len = self.u32()? as usize;
        self.utf8(len)
    }

    fn utf8(&mut self, len: usize) -> Result<String, ArtifactError> {
        let raw = self.take(len)?;
        String::from_utf8(raw.to_vec())
            .map_err(|_| ArtifactError::Malformed(format!("{} holds invalid UTF-8", self.what)))
    }

    fn finish(&self) -> Result<(), ArtifactError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(ArtifactError::Malformed(format!(
                "{} has trailing bytes",
                self.what
            )))
        }
    }
}

fn parse_table(bytes: &[u8]) -> Result<FoldTable, ArtifactError> {
    let mut reader = Reader::new(bytes, "FOLD section");
    let mut mappings = Vec::new();
    while reader.at < bytes.len() {
        let code = reader.u32()?;
        let c = char::from_u32(code).ok_or_else(|| {
            ArtifactError::Malformed(format!("FOLD section maps invalid code point {code:#x}"))
        })?;
        mappings.push((c, reader.string()?));
    }
    Ok(FoldTable::from_mappings(mappings))
}

/// Reads the header only (after checking magic and version), e.g. to list artefacts.
pub fn read_header(bytes: &[u8]) -> Result<ArtifactHeader, ArtifactError> {
    let mut reader = Reader::new(bytes, "artefact");
    if reader
        .take(MAGIC.len())
        .map_err(|_| ArtifactError::BadMagic)?
        != MAGIC
    {
        return Err(ArtifactError::BadMagic);
    }
    let version = reader.u32()?;
    if version != FORMAT_VERSION {
        return Err(ArtifactError::UnsupportedVersion { found: version });
    }
    let header_len = reader.u32()? as usize;
    serde_json::from_slice(reader.take(header_len)?)
        .map_err(|e| ArtifactError::Malformed(format!("header: {e}")))
}

/// Validates and parses every part of `bytes`: first the container (magic, version, checksum,
/// section table), then each section in turn, each decoder checking what it reads against the
/// header and the sections before it.
pub(crate) fn load(bytes: &[u8]) -> Result<Sections, ArtifactError> {
    let (header, sections) = verify_container(bytes)?;
    let [fold, risk, pats, term, andr] = sections;
    let table = decode_fold_table(fold, &header)?;
    let risks = decode_risks(risk)?;
    let known_bits = match risks.len() {
        64 => u64::MAX,
        count => (1u64 << count) - 1,
    };
    let mut patterns = decode_patterns(pats, &header, known_bits)?;
    let terms = decode_terms(term, &mut patterns)?;
    let automaton = build_automaton(&patterns)?;
    let and_rules = decode_and_rules(andr, &header, known_bits, patterns.len())?;
    Ok(Sections {
        header,
        table,
        risks,
        patterns,
        terms,
        automaton,
        and_rules,
    })
}

/// Checks magic, version and checksum, and returns the header and the five sections in
/// [`TAGS`] order, each checked to lie inside the file.
fn verify_container(bytes: &[u8]) -> Result<(ArtifactHeader, [&[u8]; 5]), ArtifactError> {
    let header = read_header(bytes)?;
    if bytes.len() < CHECKSUM_LEN {
        return Err(ArtifactError::Malformed(
            "shorter than its checksum".to_owned(),
        ));
    }
    let (body, digest) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if Sha256::digest(body)[..] != *digest {
        return Err(ArtifactError::Checksum);
    }
    let mut reader = Reader::new(body, "artefact");
    reader.take(MAGIC.len() + 4)?;
    let header_len = reader.u32()? as usize;
    reader.take(header_len)?;
    let count = reader.u32()? as usize;
    if count != TAGS.len() {
        return Err(ArtifactError::Malformed(format!(
            "{count} sections, expected {}",
            TAGS.len()
        )));
    }
    let mut sections: [&[u8]; 5] = [&[]; 5];
    for (section, expected) in sections.iter_mut().zip(TAGS) {
        let tag = reader.take(4)?;
        if tag != expected.as_slice() {
            return Err(ArtifactError::Malformed(format!(
                "section {:?} where {:?} was expected",
                String::from_utf8_lossy(tag),
                String::from_utf8_lossy(expected)
            )));
        }
        let offset = usize::try_from(reader.u64()?).unwrap_or(usize::MAX);
        let length = usize::try_from(reader.u64()?).unwrap_or(usize::MAX);
        let end = offset.checked_add(length).filter(|end| *end <= body.len());
        let end = end.ok_or_else(|| {
            ArtifactError::Malformed(format!(
                "section {} lies outside the file",
                String::from_utf8_lossy(expected)
            ))
        })?;
        *section = &body[offset..end];
    }
    Ok((header, sections))
}

/// FOLD: the fold table, which must hash to the header's fold profile hash.
fn decode_fold_table(section: &[u8], header: &ArtifactHeader) -> Result<FoldTable, ArtifactError> {
    let table = parse_table(section)?;
    let hash = sha256_hex(&table.canonical_bytes());
    if hash != header.fold_profile_hash {
        return Err(ArtifactError::Malformed(format!(
            "the fold table hashes to {hash}, the header says {}",
            header.fold_profile_hash
        )));
    }
    Ok(table)
}

/// RISK: at most 64 risk codes (a risk set is a 64-bit mask).
fn decode_risks(section: &[u8]) -> Result<Vec<String>, ArtifactError> {
    let mut reader = Reader::new(section, "RISK section");
    let risk_count = reader.u32()? as usize;
    if risk_count > 64 {
        return Err(ArtifactError::Malformed(format!(
            "{risk_count} risks; at most 64"
        )));
    }
    let risks = (0..risk_count)
        .map(|_| reader.string())
        .collect::<Result<Vec<_>, _>>()?;
    reader.finish()?;
    Ok(risks)
}

/// PATS: the risk sets, then one record per pattern (flags, risk set, own term); the folded
/// texts come from TERM.
fn decode_patterns(
    section: &[u8],
    header: &ArtifactHeader,
    known_bits: u64,
) -> Result<Vec<Pattern>, ArtifactError> {
    let mut reader = Reader::new(section, "PATS section");
    let set_count = usize::try_from(reader.varint()?).unwrap_or(usize::MAX);
    let risk_sets = (0..set_count)
        .map(|_| {
            let bits = reader.u64()?;
            if bits & !known_bits == 0 {
                Ok(bits)
            } else {
                Err(ArtifactError::Malformed(
                    "a risk set names risks past the RISK table".to_owned(),
                ))
            }
        })
        .collect::<Result<Vec<u64>, _>>()?;
    let pattern_count = usize::try_from(reader.varint()?).unwrap_or(usize::MAX);
    if pattern_count != header.patterns as usize {
        return Err(ArtifactError::Malformed(
            "pattern count differs from the header".to_owned(),
        ));
    }
    // Each record takes at least two bytes: never reserve more than the section could hold.
    let mut patterns = Vec::with_capacity(pattern_count.min(section.len() / 2));
    for _ in 0..pattern_count {
        let flags = reader.u8()?;
        let set = usize::try_from(reader.varint()?).unwrap_or(usize::MAX);
        let risk_bits = *risk_sets
            .get(set)
            .ok_or_else(|| ArtifactError::Malformed("PATS points past its risk sets".to_owned()))?;
        let term = if flags & OWN_TERM != 0 {
            let len = usize::try_from(reader.varint()?).unwrap_or(usize::MAX);
            reader.utf8(len)?
        } else {
            String::new()
        };
        patterns.push(Pattern {
            text: String::new(),
            block: flags & BLOCK != 0,
            allow: flags & ALLOW != 0,
            risk_bits,
            term,
        });
    }
    reader.finish()?;
    Ok(patterns)
}

/// TERM: the fst of folded pattern texts to pattern ids; fills in each pattern's text (and
/// its term when the record has none of its own).
fn decode_terms(
    section: &[u8],
    patterns: &mut [Pattern],
) -> Result<fst::Map<Vec<u8>>, ArtifactError> {
    let terms = fst::Map::new(section.to_vec())
        .map_err(|e| ArtifactError::Malformed(format!("TERM section: {e}")))?;
    if terms.len() != patterns.len() {
        return Err(ArtifactError::Malformed(
            "TERM section size differs from PATS".to_owned(),
        ));
    }
    // fst checks only its header when opened; traversing crafted bytes may panic. The
    // checksum rules out accidental corruption; a panic here still becomes an error.
    let keys = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        use fst::Streamer;
        let mut keys = Vec::with_capacity(patterns.len().min(section.len()));
        let mut stream = terms.stream();
        while let Some((key, id)) = stream.next() {
            if keys.len() == patterns.len() {
                return None;
            }
            keys.push((key.to_vec(), id));
        }
        Some(keys)
    }))
    .ok()
    .flatten()
    .ok_or_else(|| ArtifactError::Malformed("TERM section cannot be traversed".to_owned()))?;
    for (key, id) in keys {
        let pattern = usize::try_from(id)
            .ok()
            .and_then(|id| patterns.get_mut(id))
            .ok_or_else(|| ArtifactError::Malformed("TERM section points past PATS".to_owned()))?;
        pattern.text = String::from_utf8(key)
            .map_err(|_| ArtifactError::Malformed("TERM section holds invalid UTF-8".to_owned()))?;
        if pattern.term.is_empty() {
            pattern.term = pattern.text.clone();
        }
    }
    if patterns.iter().any(|p| p.text.is_empty()) {
        return Err(ArtifactError::Malformed(
            "a PATS record has no TERM key".to_owned(),
        ));
    }
    Ok(terms)
}

/// The automaton over the folded patterns.
fn build_automaton(
    patterns: &[Pattern],
) -> Result<daachorse::CharwiseDoubleArrayAhoCorasick<u32>, ArtifactError> {
    // The automaton over the patterns; when there are none, a placeholder that folded text
    // never contains (NUL is folded away), since daachorse needs at least one pattern.
    if patterns.is_empty() {
        daachorse::CharwiseDoubleArrayAhoCorasick::<u32>::with_values([("\u{0}", u32::MAX)])
    } else {
        daachorse::CharwiseDoubleArrayAhoCorasick::<u32>::with_values(
            patterns
                .iter()
                .enumerate()
                .map(|(i, p)| (p.text.as_str(), i as u32)),
        )
    }
    .map_err(|e| ArtifactError::Malformed(format!("cannot build the automaton: {e}")))
}

/// ANDR: the AND rules, each of two or more parts naming patterns.
fn decode_and_rules(
    section: &[u8],
    header: &ArtifactHeader,
    known_bits: u64,
    pattern_count: usize,
) -> Result<Vec<AndRule>, ArtifactError> {
    let mut reader = Reader::new(section, "ANDR section");
    let and_count = reader.u32()? as usize;
    let mut and_rules = Vec::with_capacity(and_count.min(1 << 20));
    for _ in 0..and_count {
        let risk_bits = reader.u64()?;
        if risk_bits & !known_bits != 0 {
            return Err(ArtifactError::Malformed(
                "an AND rule names risks past the RISK table".to_owned(),
            ));
        }
        let part_count = reader.u32()? as usize;
        if part_count < 2 {
            return Err(ArtifactError::Malformed(format!(
                "an AND rule with {part_count} parts"
            )));
        }
        let parts = (0..part_count)
            .map(|_| {
                let id = reader.u32()?;
                if (id as usize) < pattern_count {
                    Ok(id)
                } else {
                    Err(ArtifactError::Malformed(
                        "ANDR section points past PATS".to_owned(),
                    ))
                }
            })
            .collect::<Result<Vec<u32>, _>>()?;
        let term = reader.string()?;
        and_rules.push(AndRule {
            parts,
            risk_bits,
            term,
        });
    }
    reader.finish()?;
    if and_rules.len() != header.and_rules as usize {
        return Err(ArtifactError::Malformed(
            "AND rule count differs from the header".to_owned(),
        ));
    }
    Ok(and_rules)
}
