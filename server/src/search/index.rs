//! The tantivy index: its schema, the documents of entries, queries and snippets.
//!
//! One document per entry, keyed `keyword:<id>` / `question:<id>`; an upsert deletes the key
//! and adds the new document in the same commit. Each commit carries a [`Watermark`] as its
//! payload: the last revision of each entry kind the index reflects, the fold profile it was
//! tokenized with and the index format. Readers reload explicitly after each commit.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
    Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::tokenizer::{self, FoldedJieba};
use crate::domain::revision::EntryKind;
use crate::domain::status::EntryStatus;
use crate::fold::FoldProfile;

/// Bumped whenever the schema or tokenization changes: an index of another format is rebuilt.
pub const FORMAT: u32 = 2;
/// The writer's indexing memory; tantivy flushes a segment when it is used up.
const WRITER_MEMORY_BYTES: usize = 50_000_000;
/// Longest snippet, in bytes of the source text.
const SNIPPET_BYTES: usize = 240;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(
        "the search index {0} is in use by another process (is `lexset serve` running on this data directory?)"
    )]
    Locked(PathBuf),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The last revision of one entry kind the index reflects: its id, and its time, so a
/// database restored from a backup (where that id may since name another revision) is told
/// apart from the one the index followed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionMark {
    /// 0: none yet.
    pub id: i64,
    pub at: Option<DateTime<Utc>>,
}

/// What the index reflects, stored as the payload of each commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub format: u32,
    /// Content hash of the fold profile the text was tokenized with.
    pub fold_profile: String,
    pub keyword: RevisionMark,
    pub question: RevisionMark,
}

impl Watermark {
    pub fn mark(&self, kind: EntryKind) -> &RevisionMark {
        match kind {
            EntryKind::Keyword => &self.keyword,
            EntryKind::Question => &self.question,
        }
    }

    pub fn set_mark(&mut self, kind: EntryKind, mark: RevisionMark) {
        match kind {
            EntryKind::Keyword => self.keyword = mark,
            EntryKind::Question => self.question = mark,
        }
    }
}

/// What the index stores of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedEntry {
    pub entry: EntryKind,
    pub id: i64,
    /// The term of a keyword, the text of a question.
    pub text: String,
    /// The keyword or question kind (`block`, `must_refuse`, …).
    pub kind: String,
    pub risk: Option<String>,
    pub status: EntryStatus,
    pub aspect: Option<String>,
    /// Questions only.
    pub high_risk: Option<bool>,
    pub version: i32,
}

/// Which entries a query keeps; `None` keeps all.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub entry: Option<EntryKind>,
    pub kind: Option<String>,
    pub risk: Option<String>,
    /// Without statuses, every status but `retired`.
    pub statuses: Vec<EntryStatus>,
    pub aspect: Option<String>,
    pub high_risk: Option<bool>,
    /// Leave this entry out (e.g. the question whose neighbours are asked for).
    pub except: Option<(EntryKind, i64)>,
}

/// Part of an entry's text with the query's matches marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Snippet {
    /// A fragment of the entry's text, as written.
    pub text: String,
    /// Matched parts of `text`, as `[start, end)` character offsets, in order, not overlapping.
    pub highlights: Vec<[usize; 2]>,
    /// `text` with HTML escaped and each highlight in `<mark>…</mark>`.
    pub html: String,
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub entry: IndexedEntry,
    /// BM25 relevance; higher is better.
    pub score: f32,
    pub snippet: Snippet,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    key: Field,
    entry: Field,
    id: Field,
    text: Field,
    kind: Field,
    risk: Field,
    status: Field,
    aspect: Field,
    high_risk: Field,
    version: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let text_options = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer::NAME)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            key: builder.add_text_field("key", STRING | STORED),
            entry: builder.add_text_field("entry", STRING | STORED),
            id: builder.add_i64_field("id", STORED),
            text: builder.add_text_field("text", text_options),
            kind: builder.add_text_field("kind", STRING | STORED),
            risk: builder.add_text_field("risk", STRING | STORED),
            status: builder.add_text_field("status", STRING | STORED),
            aspect: builder.add_text_field("aspect", STRING | STORED),
            high_risk: builder.add_bool_field("high_risk", INDEXED | STORED),
            version: builder.add_i64_field("version", STORED),
        };
        (builder.build(), fields)
    }
}

fn key(kind: EntryKind, id: i64) -> String {
    format!("{}:{id}", kind.as_str())
}

/// The read side of the index, shared by request handlers.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    profile: Arc<FoldProfile>,
    directory: PathBuf,
}

/// How an index directory was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// An index of this format and fold profile, reflecting the watermark.
    Current(Watermark),
    /// A new, empty index; why, when an old one was discarded.
    Empty { discarded: Option<String> },
}

impl SearchIndex {
    /// Opens the index in `directory`, or creates it there. An index that cannot be read, has
    /// another schema or format, or was tokenized with another fold profile is discarded: it
    /// is a cache, and the caller refills it.
    pub fn open(
        directory: &Path,
        profile: Arc<FoldProfile>,
    ) -> Result<(Arc<SearchIndex>, Opened), SearchError> {
        let (schema, fields) = Fields::schema();
        let directory_error = |source| SearchError::Directory {
            path: directory.to_path_buf(),
            source,
        };
        let existing = if directory.join("meta.json").exists() {
            Some(Self::check_existing(directory, &schema, &profile))
        } else {
            None
        };
        let (index, opened) = match existing {
            Some(Ok((index, watermark))) => (index, Opened::Current(watermark)),
            Some(Err(reason)) => {
                std::fs::remove_dir_all(directory).map_err(directory_error)?;
                std::fs::create_dir_all(directory).map_err(directory_error)?;
                let index = Index::create_in_dir(directory, schema)?;
                let discarded = Some(reason);
                (index, Opened::Empty { discarded })
            }
            None => {
                std::fs::create_dir_all(directory).map_err(directory_error)?;
                let index = Index::create_in_dir(directory, schema)?;
                (index, Opened::Empty { discarded: None })
            }
        };
        index.tokenizers().register(
            tokenizer::NAME,
            TextAnalyzer::from(FoldedJieba {
                profile: profile.clone(),
            }),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let search = SearchIndex {
            index,
            reader,
            fields,
            profile,
            directory: directory.to_path_buf(),
        };
        Ok((Arc::new(search), opened))
    }

    /// The existing index and its watermark, or why it cannot be used.
    fn check_existing(
        directory: &Path,
        schema: &Schema,
        profile: &FoldProfile,
    ) -> Result<(Index, Watermark), String> {
        let index = Index::open_in_dir(directory).map_err(|e| format!("unreadable: {e}"))?;
        if index.schema() != *schema {
            return Err("its schema differs".to_owned());
        }
        let metas = index.load_metas().map_err(|e| format!("unreadable: {e}"))?;
        let watermark: Watermark = metas
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str(payload).ok())
            .ok_or("it records no watermark")?;
        if watermark.format != FORMAT {
            return Err(format!("it has format {}, not {FORMAT}", watermark.format));
        }
        if watermark.fold_profile != profile.hash {
            return Err("it was tokenized with another fold profile".to_owned());
        }
        Ok((index, watermark))
    }

    /// The empty watermark of this index's format and fold profile.
    pub fn empty_watermark(&self) -> Watermark {
        Watermark {
            format: FORMAT,
            fold_profile: self.profile.hash.clone(),
            ..Watermark::default()
        }
    }

    /// Takes the index's single writer. Fails with [`SearchError::Locked`] while another
    /// process (or writer) holds it.
    pub fn writer(self: &Arc<Self>) -> Result<SearchWriter, SearchError> {
        let writer = self
            .index
            .writer_with_num_threads(1, WRITER_MEMORY_BYTES)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => {
                    SearchError::Locked(self.directory.clone())
                }
                other => SearchError::Index(other),
            })?;
        Ok(SearchWriter {
            search: self.clone(),
            writer,
        })
    }

    /// How many live documents of entry kind `kind` the index holds.
    pub fn count(&self, kind: EntryKind) -> Result<usize, SearchError> {
        let query = TermQuery::new(
            Term::from_field_text(self.fields.entry, kind.as_str()),
            IndexRecordOption::Basic,
        );
        Ok(self.reader.searcher().search(&query, &Count)?)
    }

    /// The words a query `text` is searched by (see [`tokenizer::query_words`]); none when it
    /// has no letters or digits.
    pub fn query_words(&self, text: &str) -> Vec<String> {
        tokenizer::query_words(&self.profile, text)
    }

    /// The entries matching every one of `words` (each as a whole word or as a run of its
    /// characters), best first: `limit` hits after skipping `offset`, and the total count.
    pub fn search(
        &self,
        words: &[String],
        filter: &EntryFilter,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Hit>, usize), SearchError> {
        let clauses = words
            .iter()
            .map(|word| (Occur::Must, self.word_query(word)))
            .collect();
        self.run(BooleanQuery::new(clauses), filter, offset, limit)
    }

    /// The entries sharing any of `words` (already folded and segmented), best first.
    pub fn search_any(
        &self,
        words: &[String],
        filter: &EntryFilter,
        limit: usize,
    ) -> Result<Vec<Hit>, SearchError> {
        let clauses = words
            .iter()
            .map(|word| (Occur::Should, self.term_query(self.fields.text, word)))
            .collect();
        Ok(self.run(BooleanQuery::new(clauses), filter, 0, limit)?.0)
    }

    /// A word as a whole token, or as the phrase of its characters.
    fn word_query(&self, word: &str) -> Box<dyn Query> {
        let characters: Vec<Term> = word
            .chars()
            .map(|c| Term::from_field_text(self.fields.text, c.encode_utf8(&mut [0; 4])))
            .collect();
        let whole = self.term_query(self.fields.text, word);
        if characters.len() < 2 {
            return whole;
        }
        Box::new(BooleanQuery::new(vec![
            (Occur::Should, whole),
            (Occur::Should, Box::new(PhraseQuery::new(characters))),
        ]))
    }

    fn term_query(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        ))
    }

    /// Runs `text_query` (which must match) under `filter`.
    fn run(
        &self,
        text_query: BooleanQuery,
        filter: &EntryFilter,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Hit>, usize), SearchError> {
        let fields = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(text_query))];
        let mut must_text = |field: Field, value: &str| {
            clauses.push((
                Occur::Must,
                self.filter_query(Term::from_field_text(field, value)),
            ));
        };
        if let Some(entry) = filter.entry {
            must_text(fields.entry, entry.as_str());
        }
        if let Some(kind) = &filter.kind {
            must_text(fields.kind, kind);
        }
        if let Some(risk) = &filter.risk {
            must_text(fields.risk, risk);
        }
        if let Some(aspect) = &filter.aspect {
            must_text(fields.aspect, aspect);
        }
        if let Some(high_risk) = filter.high_risk {
            clauses.push((
                Occur::Must,
                self.filter_query(Term::from_field_bool(fields.high_risk, high_risk)),
            ));
        }
        if filter.statuses.is_empty() {
            let retired = Term::from_field_text(fields.status, EntryStatus::Retired.as_str());
            clauses.push((Occur::MustNot, self.filter_query(retired)));
        } else {
            let any_status = filter
                .statuses
                .iter()
                .map(|status| {
                    let term = Term::from_field_text(fields.status, status.as_str());
                    (Occur::Should, self.filter_query(term))
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any_status))));
        }
        if let Some((kind, id)) = filter.except {
            let term = Term::from_field_text(fields.key, &key(kind, id));
            clauses.push((Occur::MustNot, self.filter_query(term)));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let collector = (
            TopDocs::with_limit(limit.max(1))
                .and_offset(offset)
                .order_by_score(),
            Count,
        );
        let (top, total) = searcher.search(&query, &collector)?;
        let mut snippets = SnippetGenerator::create(&searcher, &query, fields.text)?;
        snippets.set_max_num_chars(SNIPPET_BYTES);
        let hits = top
            .into_iter()
            .take(limit)
            .map(|(score, address)| self.hit(&searcher, &snippets, score, address))
            .collect::<Result<_, _>>()?;
        Ok((hits, total))
    }

    /// A filter clause: a term that must (not) be there, without bearing on the score.
    fn filter_query(&self, term: Term) -> Box<dyn Query> {
        Box::new(tantivy::query::ConstScoreQuery::new(
            Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            0.0,
        ))
    }

    fn hit(
        &self,
        searcher: &tantivy::Searcher,
        snippets: &SnippetGenerator,
        score: f32,
        address: DocAddress,
    ) -> Result<Hit, SearchError> {
        let document: TantivyDocument = searcher.doc(address)?;
        let entry = self.entry_of(&document)?;
        let snippet = snippet(&snippets.snippet(&entry.text), &entry.text);
        Ok(Hit {
            entry,
            score,
            snippet,
        })
    }

    fn entry_of(&self, document: &TantivyDocument) -> Result<IndexedEntry, SearchError> {
        let fields = self.fields;
        let text = |field: Field| {
            document
                .get_first(field)
                .and_then(|value| value.as_str())
                .map(str::to_owned)
        };
        let corrupt = |what: &str| {
            SearchError::Index(tantivy::TantivyError::InternalError(format!(
                "a search document lacks its {what}"
            )))
        };
        let entry = text(fields.entry)
            .and_then(|name| {
                EntryKind::ALL
                    .into_iter()
                    .find(|kind| kind.as_str() == name)
            })
            .ok_or_else(|| corrupt("entry kind"))?;
        let kind = text(fields.kind).ok_or_else(|| corrupt("kind"))?;
        let status = text(fields.status)
            .and_then(|s| EntryStatus::parse(&s).ok())
            .ok_or_else(|| corrupt("status"))?;
        let number = |field: Field| document.get_first(field).and_then(|value| value.as_i64());
        Ok(IndexedEntry {
            entry,
            id: number(fields.id).ok_or_else(|| corrupt("id"))?,
            text: text(fields.text).ok_or_else(|| corrupt("text"))?,
            kind,
            risk: text(fields.risk),
            status,
            aspect: text(fields.aspect),
            high_risk: document
                .get_first(fields.high_risk)
                .and_then(|value| value.as_bool()),
            version: number(fields.version)
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| corrupt("version"))?,
        })
    }

    fn document(&self, entry: &IndexedEntry) -> TantivyDocument {
        let fields = self.fields;
        let mut document = TantivyDocument::default();
        document.add_text(fields.key, key(entry.entry, entry.id));
        document.add_text(fields.entry, entry.entry.as_str());
        document.add_i64(fields.id, entry.id);
        document.add_text(fields.text, &entry.text);
        document.add_text(fields.kind, &entry.kind);
        if let Some(risk) = &entry.risk {
            document.add_text(fields.risk, risk);
        }
        document.add_text(fields.status, entry.status.as_str());
        if let Some(aspect) = &entry.aspect {
            document.add_text(fields.aspect, aspect);
        }
        if let Some(high_risk) = entry.high_risk {
            document.add_bool(fields.high_risk, high_risk);
        }
        document.add_i64(fields.version, i64::from(entry.version));
        document
    }
}

/// Turns tantivy's snippet (byte ranges, possibly overlapping) into merged character ranges
/// and HTML. A text that fits in a snippet is shown whole.
fn snippet(found: &tantivy::snippet::Snippet, text: &str) -> Snippet {
    let (fragment, ranges) = if text.len() <= SNIPPET_BYTES {
        let shift = found.fragment_range().start;
        let ranges: Vec<Range<usize>> = found
            .highlighted()
            .iter()
            .map(|range| range.start + shift..range.end + shift)
            .collect();
        (text, merged(&ranges))
    } else {
        (found.fragment(), merged(found.highlighted()))
    };
    // Overlapping tokens can make tantivy end a fragment inside an earlier highlight: keep
    // only what lies within the fragment, on character boundaries.
    let ranges: Vec<Range<usize>> = ranges
        .into_iter()
        .map(|range| range.start..range.end.min(fragment.len()))
        .filter(|range| {
            range.start < range.end
                && fragment.is_char_boundary(range.start)
                && fragment.is_char_boundary(range.end)
        })
        .collect();
    let char_at = |byte: usize| fragment[..byte].chars().count();
    let mut html = String::new();
    let mut shown = 0;
    for range in &ranges {
        html.push_str(&escape_html(&fragment[shown..range.start]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&fragment[range.clone()]));
        html.push_str("</mark>");
        shown = range.end;
    }
    html.push_str(&escape_html(&fragment[shown..]));
    Snippet {
        text: fragment.to_owned(),
        highlights: ranges
            .iter()
            .map(|range| [char_at(range.start), char_at(range.end)])
            .collect(),
        html,
    }
}

/// Sorted ranges with overlapping and touching ones joined (台 + 独 → 台独).
fn merged(ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|range| (range.start, range.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for range in sorted {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The only writer of an index: documents go in, and become visible at [`SearchWriter::commit`].
pub struct SearchWriter {
    search: Arc<SearchIndex>,
    writer: IndexWriter,
}

impl SearchWriter {
    /// Replaces the document of `entry` (or adds it).
    pub fn upsert(&mut self, entry: &IndexedEntry) -> Result<(), SearchError> {
        self.remove(entry.entry, entry.id);
        self.writer.add_document(self.search.document(entry))?;
        Ok(())
    }

    /// Removes the document of an entry, if there is one.
    pub fn remove(&mut self, kind: EntryKind, id: i64) {
        let term = Term::from_field_text(self.search.fields.key, &key(kind, id));
        self.writer.delete_term(term);
    }

    /// Removes every document (visible at the next commit, so searches meanwhile see the old
    /// contents).
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes the changes so far visible and durable, recording `watermark`.
    pub fn commit(&mut self, watermark: &Watermark) -> Result<(), SearchError> {
        let payload = serde_json::to_string(watermark)
            .map_err(|e| SearchError::Index(tantivy::TantivyError::InternalError(e.to_string())))?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.search.reader.reload()?;
        Ok(())
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.search
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_and_overlapping_ranges_merge() {
        assert_eq!(merged(&[3..6, 0..3, 4..5, 8..9]), vec![0..6, 8..9]);
    }

    #[test]
    fn snippet_html_is_escaped() {
        assert_eq!(escape_html("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
