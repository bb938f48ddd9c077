//! `lexset-filter`: what a filter service embeds to use a lexset build.
//!
//! A build artefact (see `docs/artifact-format.md`) carries everything needed to match: the
//! fold table (so no OpenCC is needed here), the risk table, an `fst::Map` of the folded
//! patterns and a daachorse automaton over them, the allow-list and the AND rules.
//!
//! ```no_run
//! let bytes = std::fs::read("build-7.lexset")?;
//! let filter = lexset_filter::Filter::load(&bytes)?;
//! for hit in filter.find("有人在卖法 轮 功的书") {
//!     println!("{} {:?} at bytes {}..{}", hit.term, hit.risks, hit.span.byte_start, hit.span.byte_end);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A filter service that must know where an artefact came from loads it with
//! [`Filter::load_verified`], against the build's signed [`manifest`] and the deployment's
//! public keys.
//!
//! Modules: [`fold_table`] (character folding with offsets back to the source), [`artifact`]
//! (writing and validating the format), [`manifest`] (signed manifests), [`matcher`] (finding
//! hits), [`checksum`].

pub mod artifact;
pub mod checksum;
pub mod fold_table;
pub mod manifest;
pub mod matcher;
#[cfg(feature = "updater")]
pub mod updater;

pub use artifact::{ArtifactError, ArtifactHeader, ArtifactInput, RuleInput, RuleKind};
pub use manifest::{Manifest, ManifestError, PublicKey, SignedManifest};
pub use matcher::{Filter, Hit, HitKind, LoadError, Span};
