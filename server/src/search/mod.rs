//! Full-text search over keywords and questions: a tantivy index in the data directory,
//! tokenized by jieba on folded text (so 臺獨 finds 台独).
//!
//! The index is a cache of the database: `services::search` fills it, keeps it in step by
//! replaying revisions, and rebuilds it whenever it cannot prove it is current. Deleting its
//! directory loses nothing.

pub mod index;
pub mod tokenizer;

pub use index::{
    EntryFilter, Hit, IndexedEntry, Opened, RevisionMark, SearchError, SearchIndex, SearchWriter,
    Snippet, Watermark,
};
