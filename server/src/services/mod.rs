//! Services: the operations of lexset on the store, each in one transaction. Handlers call
//! these and only translate between HTTP and domain values.

pub mod audit;
pub mod blocking;
pub mod builds;
mod context;
pub mod coverage;
pub mod evaluations;
pub mod exports;
pub mod imports;
pub mod keywords;
pub mod leases;
pub mod lints;
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

pub use self::context::AppState;

use crate::domain::field_error::FieldError;
use crate::domain::revision::EntryKind;
use crate::store::entities::{keyword, question};

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
        existing: ExistingEntry,
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
    /// Approved entries imported while four eyes is on: nobody else would review them.
    #[error(
        "four eyes: imported entries need a second person's review, so import drafts; a team \
         bringing in a lexicon reviewed elsewhere runs with LEXSET_FOUR_EYES=false"
    )]
    ImportNeedsReview,
    /// The caller's role is below the one `action` needs.
    #[error("{action} needs the `{}` role", needed.as_str())]
    RoleTooLow {
        needed: crate::domain::role::Role,
        action: &'static str,
    },
    /// The entry would be approved with error lints.
    #[error("approval blocked by lint errors: {}", rules.join(", "))]
    LintFailed { rules: Vec<&'static str> },
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Interrupted(#[from] blocking::Interrupted),
    #[error(transparent)]
    Build(#[from] builds::BuildError),
    #[error(transparent)]
    Coverage(#[from] coverage::CoverageError),
    #[error("no task has id {0}")]
    TaskNotFound(i64),
    #[error("build {build} has no evaluation {id}")]
    EvaluationNotFound { build: i64, id: i64 },
    /// The evaluation's report is not there yet.
    #[error("evaluation {id} has no report yet (status {status})")]
    EvaluationNotFinished { id: i64, status: String },
    /// No export has this name.
    #[error(
        "no export `{0}`; there are keywords.xlsx, keywords.csv, questions.xlsx and questions.csv"
    )]
    NoSuchExport(String),
    /// A file could not be rendered (a bug, not the client's input).
    #[error("cannot render {0}")]
    Render(String),
}

/// The live entry a write would duplicate.
#[derive(Debug)]
pub enum ExistingEntry {
    Keyword(Box<keyword::Model>),
    Question(Box<question::Model>),
}

impl ExistingEntry {
    pub fn id(&self) -> i64 {
        match self {
            Self::Keyword(keyword) => keyword.id,
            Self::Question(question) => question.id,
        }
    }
}

impl From<keyword::Model> for ExistingEntry {
    fn from(model: keyword::Model) -> Self {
        Self::Keyword(Box::new(model))
    }
}

impl From<question::Model> for ExistingEntry {
    fn from(model: question::Model) -> Self {
        Self::Question(Box::new(model))
    }
}
