//! What every operation can reach: the store, the parsed seeds and settings, and the caches
//! of this process. Built once by `startup::app_state`; the HTTP handlers and the command line
//! both pass it to the services.

use std::path::PathBuf;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::Checks;
use super::build_events::BuildAnnouncer;
use super::builds::{BuildEnvironment, FilterCache};
use super::leases::Replica;
use super::refusal_phrases::PhrasesInForce;
use super::signing::BuildSigner;
use super::tasks::LiveProgress;
use super::tokens::TokenCache;
use crate::answer_templates::AnswerTemplates;
use crate::dedup::Dedup;
use crate::lint::LintConfig;
use crate::taxonomy::Taxonomy;

/// What every operation can reach.
#[derive(Clone)]
pub struct AppState {
    /// Writes (and reads inside a write's transaction).
    pub db: DatabaseConnection,
    /// Reads outside any write: never queued behind one (`store::connect_readers`).
    pub reads: DatabaseConnection,
    pub taxonomy: Arc<Taxonomy>,
    pub dedup: Arc<Dedup>,
    pub lints: Arc<LintConfig>,
    /// The answer templates in force (read at start).
    pub answer_templates: Arc<AnswerTemplates>,
    /// The refusal phrases in force, compiled: the approved version, else the seed.
    pub refusals: Arc<PhrasesInForce>,
    /// `*.toml` rule profiles here add to or replace the shipped ones (read per request).
    pub rule_profiles_dir: PathBuf,
    /// The name this process runs tasks under.
    pub replica: Replica,
    /// The read replica filter-service pulls read from, if one is configured.
    pub pulls: Option<DatabaseConnection>,
    pub filters: Arc<FilterCache>,
    /// Whether an approval by the entry's creator or last editor is refused.
    pub four_eyes: bool,
    /// The largest file `POST /v1/imports` accepts.
    pub max_upload_bytes: usize,
    pub live_progress: Arc<LiveProgress>,
    /// Tokens recently found valid ([`TokenCache`]).
    pub tokens: Arc<TokenCache>,
    /// Set to `true` when the application stops: model calls then record what they have
    /// and end, to be resumed at the next start. Stopping waits for its receivers to drop.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Set when the HTTP server begins to stop: long-lived responses (the build event
    /// stream) end, so a graceful stop need not wait for them.
    pub closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// Published builds, announced to this replica's event-stream subscribers.
    pub build_events: Arc<BuildAnnouncer>,
    /// The key build manifests are signed with, from `--signing-key-file`.
    pub signer: Option<Arc<BuildSigner>>,
}

impl AppState {
    /// The store's connection pools, named, with their busy and idle connections now.
    pub fn pool_usage(&self) -> Vec<(&'static str, crate::store::PoolUsage)> {
        crate::store::pool_usage(&self.db, &self.reads)
    }

    /// What writes check entries against.
    pub fn checks(&self) -> Checks<'_> {
        Checks {
            dedup: &self.dedup,
            lints: &self.lints,
            taxonomy: &self.taxonomy,
            templates: &self.answer_templates,
        }
    }

    /// What the build service needs.
    pub fn build_environment(&self) -> BuildEnvironment {
        BuildEnvironment {
            db: self.db.clone(),
            reads: self.reads.clone(),
            dedup: self.dedup.clone(),
            taxonomy: self.taxonomy.clone(),
            replica: self.replica.clone(),
            rule_profiles_dir: self.rule_profiles_dir.clone(),
            signer: self.signer.clone(),
            announcer: self.build_events.clone(),
        }
    }
}
