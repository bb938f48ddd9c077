//! Folding: the one normalisation that decides when two terms are "the same".
//!
//! [`FoldTable`] maps each character to its folded form (itself, another string, or nothing)
//! and is applied character by character: no OpenCC, no allocation per character, so it can
//! fold text at match time and travel inside build artefacts. [`derive`] builds the table once
//! from NFKC, lower-casing, OpenCC and the separators of a [`FoldProfile`]; the profile's id and
//! content hash identify the table everywhere it is used.

pub mod derive;
pub mod profile;
pub mod table;

pub use profile::FoldProfile;
pub use table::{FoldTable, FoldedText};
