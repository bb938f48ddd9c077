//! Folding: the one normalisation that decides when two terms are "the same".
//!
//! [`FoldTable`] (in the `lexset-filter` crate, which filter services embed) maps each character to its folded form (itself, another string, or nothing)
//! and is applied character by character: no OpenCC, no allocation per character, so it can
//! fold text at match time and travel inside build artefacts. [`derive`] builds the table once
//! from NFKC, lower-casing, OpenCC and the separators of a [`FoldProfile`]; the profile's id and
//! content hash identify the table everywhere it is used.

pub mod derive;
pub mod profile;

pub use lexset_filter::fold_table::{FoldTable, FoldedText};
pub use profile::FoldProfile;
