//! Deduplication: exact keys, near-duplicate questions, keyword collisions.
//!
//! Every key is computed with the fold profile, so that dedup at write time and matching at
//! filter time agree on what "the same" means.

pub mod collisions;
pub mod keys;
pub mod near_duplicates;

use std::sync::Arc;

use crate::fold::FoldProfile;
use near_duplicates::NearDuplicateConfig;

/// What dedup needs: the fold profile and the near-duplicate settings.
#[derive(Debug, Clone)]
pub struct Dedup {
    pub profile: Arc<FoldProfile>,
    pub near_duplicates: NearDuplicateConfig,
}
