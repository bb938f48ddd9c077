//! Services: the operations of lexset on the store, each in one transaction. Handlers call
//! these and only translate between HTTP and domain values.

pub mod audit;
pub mod builds;
pub mod coverage;
pub mod evaluations;
pub mod exports;
pub mod imports;
pub mod keywords;
pub mod leases;
pub mod page;
pub mod periodic;
pub mod questions;
pub mod refold;
pub mod reports;
pub mod review;
pub mod revisions;
pub mod search;
pub mod tasks;
pub mod taxonomy;
pub mod tokens;
pub mod versioned_change;

use sea_orm::DbErr;

use crate::domain::field_error::FieldError;
use crate::domain::revision::EntryKind;

/// What writes check entries against: dedup settings, lint rules and the taxonomy.
#[derive(Debug, Clone, Copy)]
pub struct Checks<'a> {
    pub dedup: &'a crate::dedup::Dedup,
    pub lints: &'a crate::lint::LintConfig,
    pub taxonomy: &'a crate::taxonomy::Taxonomy,
}

/// Why a service refused or failed an operation.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no {kind:?} with id {id}")]
    NotFound { kind: EntryKind, id: i64 },
    /// The client edited a version that is no longer current.
    #[error("the version named is stale; the current version is {current}")]
    VersionMismatch { current: i32 },
    /// Retired entries are frozen.
    #[error("{kind:?} {id} is retired")]
    Retired { kind: EntryKind, id: i64 },
    /// A live entry of the same kind already has the same dedup key.
    #[error("duplicate of an existing {kind:?}")]
    Duplicate {
        kind: EntryKind,
        /// The existing entry, as the API shows it.
        existing: serde_json::Value,
    },
    /// A review decision that does not apply to the entry's status.
    #[error("cannot {transition} an entry that is {}", status.as_str())]
    InvalidTransition {
        transition: &'static str,
        status: crate::domain::status::EntryStatus,
    },
    /// Four eyes: the approver created or last edited the entry.
    #[error("{actor} created or last edited this entry")]
    FourEyes { actor: String },
    /// The entry would be approved with error lints.
    #[error("approval blocked by lint errors: {}", rules.join(", "))]
    LintFailed { rules: Vec<&'static str> },
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
}
