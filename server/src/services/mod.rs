//! Services: the operations of lexset on the store, each in one transaction. Handlers call
//! these and only translate between HTTP and domain values.

pub mod audit;
pub mod blocking;
pub mod build_events;
pub mod builds;
mod context;
pub mod coverage;
pub mod evaluations;
pub mod exports;
pub mod filings;
pub mod imports;
pub mod keywords;
pub mod leases;
pub mod lints;
pub mod model_calls;
pub mod page;
pub mod periodic;
pub mod question_sets;
pub mod questions;
pub mod refold;
pub mod refusal_phrases;
pub mod refusals;
pub mod reports;
pub mod review;
pub mod revisions;
pub mod run_reports;
pub mod search;
pub mod signing;
pub mod tasks;
pub mod taxonomy;
pub mod test_runs;
pub mod tokens;
pub mod users;
pub mod verdicts;
pub mod versioned_change;
pub mod webhooks;

use sea_orm::DbErr;

pub use self::context::AppState;

use crate::domain::field_error::FieldError;
use crate::domain::revision::EntryKind;
use crate::messages::{Message, msg};
use crate::store::entities::{keyword, question};

/// What writes check entries against: dedup settings, lint rules and the taxonomy.
#[derive(Debug, Clone, Copy)]
pub struct Checks<'a> {
    pub dedup: &'a crate::dedup::Dedup,
    pub lints: &'a crate::lint::LintConfig,
    pub taxonomy: &'a crate::taxonomy::Taxonomy,
    /// Fill questions' missing texts when a write asks for it.
    pub templates: &'a crate::answer_templates::AnswerTemplates,
}

/// Why a service refused or failed an operation. A refusal displays as its
/// [`message`](Self::message) in English.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{}", self.message())]
    NotFound { kind: EntryKind, id: i64 },
    /// The client edited a version that is no longer current.
    #[error("{}", self.message())]
    VersionMismatch { current: i32 },
    /// Retired entries are frozen.
    #[error("{}", self.message())]
    Retired { kind: EntryKind, id: i64 },
    /// A live entry of the same kind already has the same dedup key.
    #[error("{}", self.message())]
    Duplicate {
        kind: EntryKind,
        existing: ExistingEntry,
    },
    /// A review decision that does not apply to the entry's status.
    #[error("{}", self.message())]
    InvalidTransition {
        transition: &'static str,
        status: crate::domain::status::EntryStatus,
    },
    /// Four eyes: the approver (a user, whichever of their tokens they use) created or last
    /// edited the entry.
    #[error("{}", self.message())]
    FourEyes { actor: String },
    /// A user of this name exists already.
    #[error("{}", self.message())]
    DuplicateUser { name: String },
    /// Approved entries imported while four eyes is on: nobody else would review them.
    #[error("{}", self.message())]
    ImportNeedsReview,
    /// The caller's role is below the one `action` needs.
    #[error("{}", self.message())]
    RoleTooLow {
        needed: crate::domain::role::Role,
        action: Message,
    },
    /// The entry would be approved with error lints.
    #[error("{}", self.message())]
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
    #[error("{}", self.message())]
    TaskNotFound(i64),
    /// An upload larger than the service takes once inflated or counted in rows.
    #[error("{}", self.message())]
    FileTooLarge(lexset_importers::table::TableError),
    #[error("{}", self.message())]
    EvaluationNotFound { build: i64, id: i64 },
    /// The evaluation's report is not there yet.
    #[error("{}", self.message())]
    EvaluationNotFinished { id: i64, status: String },
    /// No export has this name.
    #[error("{}", self.message())]
    NoSuchExport(String),
    #[error("{}", self.message())]
    SetNotFound(i64),
    /// Frozen sets are retired once.
    #[error("{}", self.message())]
    SetRetired(i64),
    /// The approved questions cannot make the set asked for: every shortfall, nothing made.
    #[error("{}", self.message())]
    SetUnsatisfiable(Vec<crate::sampling::Shortfall>),
    #[error("{}", self.message())]
    RunNotFound(i64),
    /// Another upload answered some of the same questions of the run first: nothing stored.
    #[error("{}", self.message())]
    AnswersRaced(i64),
    #[error("{}", self.message())]
    FilingNotFound(i64),
    #[error("{}", self.message())]
    WebhookNotFound(i64),
    #[error("{}", self.message())]
    PhraseVersionNotFound(i64),
    /// Another decision on phrase versions committed first: nothing changed.
    #[error("{}", self.message())]
    PhrasesRaced(i64),
    /// The run has no answer to this question (yet).
    #[error("{}", self.message())]
    AnswerNotFound { run: i64, question: i64 },
    /// Another model call of the run is calling.
    #[error("{}", self.message())]
    RunCalling(i64),
    /// The HTTP client of model calls could not be set up (TLS, say): not the request's fault.
    #[error("cannot set up the model client: {0}")]
    ModelClient(String),
    /// The model endpoint refused the call as a whole (a bad key, an unknown model): the
    /// error a model call ends with, never an HTTP answer.
    #[error("the model endpoint refused the call: {0}")]
    ModelEndpoint(String),
    /// A file could not be rendered (a bug, not the client's input).
    #[error("cannot render {0}")]
    Render(String),
}

impl ServiceError {
    /// What went wrong, for people: the HTTP error body's `message` and the command line's
    /// error, in the reader's language. Internal failures carry their detail here; the HTTP
    /// layer logs it and answers a generic message instead.
    /// A failure of the service itself (store, index, a panicked worker, rendering), not of
    /// the request: its details belong in the log, not in an answer.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::Database(_)
                | Self::Search(_)
                | Self::Interrupted(_)
                | Self::Render(_)
                | Self::ModelClient(_)
                | Self::ModelEndpoint(_)
        )
    }

    pub fn message(&self) -> Message {
        match self {
            Self::NotFound { kind, id } => match kind {
                EntryKind::Keyword => msg!("keyword_not_found", id = *id),
                EntryKind::Question => msg!("question_not_found", id = *id),
            },
            Self::VersionMismatch { current } => {
                msg!("precondition_failed", current = *current)
            }
            Self::Retired { kind, id } => msg!("entry_retired", entry = kind.noun(), id = *id),
            Self::Duplicate { kind, existing } => match kind {
                EntryKind::Keyword => msg!("duplicate_keyword", id = existing.id()),
                EntryKind::Question => msg!("duplicate_question", id = existing.id()),
            },
            Self::InvalidTransition { transition, status } => msg!(
                "invalid_transition",
                transition = *transition,
                status = status.as_str()
            ),
            Self::FourEyes { actor } => msg!("four_eyes", actor = actor),
            Self::DuplicateUser { name } => msg!("duplicate_user", name = name),
            Self::ImportNeedsReview => msg!("import_needs_review"),
            Self::RoleTooLow { needed, action } => {
                msg!(
                    "role_too_low",
                    action = action.clone(),
                    needed = needed.as_str()
                )
            }
            Self::LintFailed { rules } => msg!("lint_failed", rules = rules.join(", ")),
            Self::Invalid(field_error) => field_error.message.clone(),
            Self::Build(build) => build.message(),
            Self::Coverage(coverage) => coverage.message(),
            Self::NoSuchExport(name) => msg!("no_such_export", name = name),
            Self::TaskNotFound(id) => msg!("task_not_found", id = *id),
            Self::FileTooLarge(error) => imports::unreadable_file(error),
            Self::EvaluationNotFound { build, id } => {
                msg!("evaluation_not_found", build = *build, id = *id)
            }
            Self::EvaluationNotFinished { id, status } => {
                msg!("evaluation_not_finished", id = *id, status = status)
            }
            Self::SetNotFound(id) => msg!("question_set_not_found", id = *id),
            Self::SetRetired(id) => msg!("question_set_retired", id = *id),
            Self::SetUnsatisfiable(shortfalls) => question_sets::shortfalls_message(shortfalls),
            Self::RunNotFound(id) => msg!("test_run_not_found", id = *id),
            Self::AnswersRaced(id) => msg!("answers_raced", id = *id),
            Self::RunCalling(id) => msg!("run_calling", id = *id),
            Self::FilingNotFound(id) => msg!("filing_not_found", id = *id),
            Self::WebhookNotFound(id) => msg!("webhook_not_found", id = *id),
            Self::PhraseVersionNotFound(id) => msg!("phrase_version_not_found", id = *id),
            Self::PhrasesRaced(id) => msg!("phrases_raced", id = *id),
            Self::AnswerNotFound { run, question } => {
                msg!("answer_not_found", run = *run, question = *question)
            }
            Self::Database(_)
            | Self::Search(_)
            | Self::Interrupted(_)
            | Self::Render(_)
            | Self::ModelClient(_)
            | Self::ModelEndpoint(_) => {
                msg!("internal_error", detail = self.to_string())
            }
        }
    }
}

/// The message of one of lexset's own errors, for the command line to print in the reader's
/// language; `None` for any other error, which prints as it displays.
pub fn message_of(error: &(dyn std::error::Error + 'static)) -> Option<Message> {
    if let Some(error) = error.downcast_ref::<ServiceError>() {
        Some(error.message())
    } else if let Some(error) = error.downcast_ref::<FieldError>() {
        Some(error.message.clone())
    } else if let Some(error) = error.downcast_ref::<builds::BuildError>() {
        Some(error.message())
    } else {
        error
            .downcast_ref::<coverage::CoverageError>()
            .map(coverage::CoverageError::message)
    }
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
