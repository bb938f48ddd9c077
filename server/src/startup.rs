//! Building the application: data directory, database, migrations, seeds, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::Logger;
use actix_web::{App, HttpServer, web};

use sea_orm::DatabaseConnection;

use crate::answer_templates::{AnswerTemplates, TemplatesError};
use crate::config::Settings;
use crate::dedup::Dedup;
use crate::dedup::near_duplicates::{NearDuplicateConfig, check_threshold};
use crate::fold::FoldProfile;
use crate::fold::profile::ProfileError;
use crate::http;
use crate::lint::{LintConfig, LintConfigError};
use crate::services::build_events;
use crate::services::builds::{self, FilterCache};
use crate::services::leases::{self, Replica};
use crate::services::model_calls;
use crate::services::periodic::Periodic;
use crate::services::refold::{self, RefoldReport};
use crate::services::refusal_phrases::{self, PhrasesInForce, PhrasesLoadError};
use crate::services::search::{self as search_sync, Indexer, StartCheck, SyncError};
use crate::services::signing::{self, SigningKeyError};
use crate::services::webhooks;
use crate::services::{self, AppState};
use crate::store;
use crate::taxonomy::{SeedError, Taxonomy};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Seeds(#[from] SeedError),
    #[error(transparent)]
    FoldProfile(#[from] ProfileError),
    #[error("{0}")]
    NearDuplicates(String),
    #[error(transparent)]
    Lints(#[from] LintConfigError),
    #[error(transparent)]
    AnswerTemplates(#[from] TemplatesError),
    #[error(transparent)]
    RefusalPhrases(#[from] PhrasesLoadError),
    #[error("cannot bring the search index in step: {0}")]
    Search(#[from] SyncError),
    #[error("cannot recover tasks and builds: {0}")]
    Builds(String),
    #[error("{0}")]
    Replica(String),
    #[error(transparent)]
    SigningKey(#[from] SigningKeyError),
    #[error("{0}")]
    Webhooks(String),
    #[error("cannot resume model calls: {0}")]
    ModelCalls(String),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
}

/// Creates the data directory, opens and migrates the database, and loads the dedup settings.
pub async fn open_store(settings: &Settings) -> Result<(DatabaseConnection, Dedup), StartupError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::DataDir {
        path: settings.data_dir.display().to_string(),
        source,
    })?;
    let db = store::connect(&settings.database_url(), settings.database_max_connections).await?;
    store::migrate(&db).await?;
    let mut near_duplicates =
        NearDuplicateConfig::shipped().map_err(StartupError::NearDuplicates)?;
    if let Some(threshold) = settings.near_duplicate_threshold {
        near_duplicates.threshold = check_threshold(threshold).map_err(|e| {
            StartupError::NearDuplicates(format!("--near-duplicate-threshold: {e}"))
        })?;
    }
    let dedup = Dedup {
        profile: FoldProfile::shipped()?,
        near_duplicates,
    };
    Ok((db, dedup))
}

/// Logs what a refold changed; new collisions are warnings, since someone must resolve them.
pub fn log_refold(report: &RefoldReport) {
    tracing::info!(
        state = %report.state,
        previous = ?report.previous_state,
        keywords = report.keywords_rekeyed,
        questions = report.questions_rekeyed,
        "recomputed dedup keys under the current fold profile"
    );
    for collision in &report.new_collisions {
        tracing::warn!(
            kind = collision.entry_kind,
            ids = ?collision.ids,
            "live entries now share a dedup key; see GET /v1/reports/collisions"
        );
    }
    if report.behaviors_filled + report.behaviors_to_review > 0 {
        tracing::warn!(
            filled = report.behaviors_filled,
            to_review = report.behaviors_to_review,
            "generation questions given the expected behaviour their expected output states; \
             the rest cannot be approved until someone says (lint question_without_behavior, \
             GET /v1/reports/lints)"
        );
    }
}

/// Everything the service (or a CLI command) works with: the migrated store with its seeds,
/// dedup keys brought up to the current fold profile, lint rules and directories.
pub async fn app_state(settings: &Settings) -> Result<AppState, StartupError> {
    let (db, dedup) = open_store(settings).await?;
    let taxonomy = Taxonomy::shipped()?;
    services::taxonomy::load(&db, &taxonomy).await?;
    let lints = LintConfig::shipped(&dedup.profile, &settings.disabled_lints)?;
    let answer_templates = AnswerTemplates::load(&settings.data_dir, &taxonomy)?;
    answer_templates.check_behaviors(|text| lints.stated_behavior(&dedup.profile, text))?;
    let refusals = refusal_phrases::in_force(&db, &settings.data_dir, &dedup.profile).await?;
    if let Some(report) = refold::refold_if_needed(&db, &dedup, &lints).await? {
        log_refold(&report);
    }
    let reads =
        store::connect_readers(&settings.database_url(), &db, settings.database_readers).await?;
    let signer = match &settings.signing_key_file {
        Some(path) => {
            let signer = signing::load_key_file(path)?;
            signing::register(&db, &signer).await?;
            tracing::info!(
                key_id = signer.public_key().key_id(),
                "build manifests are signed"
            );
            Some(Arc::new(signer))
        }
        None => None,
    };
    Ok(AppState {
        db,
        reads,
        taxonomy: Arc::new(taxonomy),
        dedup: Arc::new(dedup),
        lints: Arc::new(lints),
        answer_templates: Arc::new(answer_templates),
        refusals: Arc::new(PhrasesInForce::new(refusals)),
        rule_profiles_dir: settings.rule_profiles_dir(),
        replica: Replica::new(settings.replica_id.as_deref(), &settings.data_dir)
            .map_err(|e| StartupError::Replica(format!("--replica-id: {e}")))?,
        pulls: match &settings.read_database_url {
            Some(url) => Some(store::connect(url, settings.database_max_connections).await?),
            None => None,
        },
        filters: Arc::new(FilterCache::default()),
        four_eyes: settings.four_eyes,
        max_upload_bytes: settings.max_upload_bytes,
        live_progress: Arc::default(),
        tokens: Arc::default(),
        stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
        closing: Arc::new(tokio::sync::watch::Sender::new(false)),
        build_events: Arc::default(),
        signer,
    })
}

/// Opens the search index in the data directory and brings it in step with the database.
pub async fn open_search_index(
    settings: &Settings,
    state: &AppState,
) -> Result<Indexer, StartupError> {
    let started = std::time::Instant::now();
    let directory = settings.search_index_dir();
    let (indexer, check) =
        Indexer::open(&state.db, &directory, state.dedup.profile.clone()).await?;
    let seconds = started.elapsed().as_secs_f64();
    match check {
        StartCheck::InStep { replayed } => {
            tracing::info!(replayed, seconds, "search index in step with the database");
        }
        StartCheck::Rebuilt { reason, entries } => {
            tracing::info!(%reason, entries, seconds, "search index rebuilt");
        }
    }
    Ok(indexer)
}

/// Fails the tasks (with their builds and evaluations) that died with this replica's previous
/// process or with another replica, and moves artefact files of older versions into the
/// database.
async fn recover(settings: &Settings, state: &AppState) -> Result<(), StartupError> {
    let failed = leases::recover_at_start(&state.db, &state.replica).await?;
    if failed > 0 {
        tracing::warn!(failed, "failed tasks that a stopped process was running");
    }
    let adopted = builds::adopt_artifact_files(&state.db, &settings.data_dir.join("builds"))
        .await
        .map_err(|e| StartupError::Builds(e.to_string()))?;
    if adopted > 0 {
        tracing::info!(adopted, "moved build artefact files into the database");
    }
    let resumed = model_calls::resume_interrupted(state)
        .await
        .map_err(|e| StartupError::ModelCalls(e.to_string()))?;
    if resumed > 0 {
        tracing::info!(resumed, "resumed model calls a stopped process was running");
    }
    Ok(())
}

/// The OpenAPI document of the server this module builds (`lexset openapi` prints it).
pub fn openapi_json() -> String {
    http::openapi::spec_json()
}

/// How long a stopping server waits for its model calls to record what they have.
const CALLS_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A built, not yet running, lexset server.
pub struct Application {
    port: u16,
    server: Server,
    indexing: Periodic,
    leasing: Periodic,
    resuming: Periodic,
    phrases: Periodic,
    announcing: Periodic,
    delivering: Periodic,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    stop_handle: StopHandle,
}

/// Stops a running server: first ends its long-lived responses (the build event stream),
/// which a graceful stop would otherwise wait for until its timeout, then stops it.
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl StopHandle {
    /// Stops the server; `graceful` lets requests in flight finish.
    pub async fn stop(&self, graceful: bool) {
        self.closing.send_replace(true);
        self.server.stop(graceful).await;
    }
}

/// Resolves on SIGINT or SIGTERM (actix's own handling is off: it would stop without
/// closing the event streams first).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => drop(interrupt.await),
        }
    }
    #[cfg(not(unix))]
    drop(interrupt.await);
}

impl Application {
    /// Opens (and migrates) the database, loads the seeds and binds the listener.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        // The recorder first: what happens before it is installed is not counted.
        crate::telemetry::handle();
        let state = app_state(settings).await?;
        recover(settings, &state).await?;
        let leasing = leases::keep_leases(state.db.clone(), state.replica.clone());
        let resuming = model_calls::keep_resuming(state.clone());
        let phrases = refusal_phrases::keep_current(state.clone());
        let indexer = open_search_index(settings, &state).await?;
        let search = web::Data::from(indexer.index());
        let indexing = search_sync::keep_in_step(indexer, state.db.clone());
        let announcing =
            build_events::keep_announcing(state.reads.clone(), state.build_events.clone()).await?;
        let delivering = webhooks::keep_delivering(state.db.clone(), state.reads.clone())
            .map_err(StartupError::Webhooks)?;
        let workers = web::Data::new(http::health::Workers(vec![
            indexing.health(),
            leasing.health(),
            resuming.health(),
            phrases.health(),
            announcing.health(),
            delivering.health(),
        ]));
        let stopping = state.stopping.clone();
        let closing = state.closing.clone();
        let state = web::Data::new(state);
        let bind_error = |source| StartupError::Bind {
            bind: settings.bind.clone(),
            source,
        };
        let listener = TcpListener::bind(&settings.bind).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(http::access::authorize))
                .wrap(actix_web::middleware::from_fn(http::audit::record_writes))
                .wrap(actix_web::middleware::from_fn(
                    http::language::translate_errors,
                ))
                .wrap(Logger::new(r#"%a "%r" %s %b %{x-request-id}o %T"#))
                .app_data(state.clone())
                .app_data(search.clone())
                .app_data(workers.clone())
                .configure(http::configure)
        })
        .disable_signals()
        .listen(listener)
        .map_err(bind_error)?
        .run();
        let stop_handle = StopHandle {
            server: server.handle(),
            closing,
        };
        Ok(Self {
            port,
            server,
            indexing,
            leasing,
            resuming,
            phrases,
            announcing,
            delivering,
            stopping,
            stop_handle,
        })
    }

    /// The port the server listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server when asked (e.g. `handle().stop(true)`); `run_until_stopped` then
    /// returns once the search indexer has released the index.
    pub fn handle(&self) -> StopHandle {
        self.stop_handle.clone()
    }

    /// Serves until stopped by a handle or by SIGINT / SIGTERM (gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stop_handle = self.stop_handle.clone();
        let signalled = tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("stopping on a signal");
            stop_handle.stop(true).await;
        });
        let result = self.server.await;
        signalled.abort();
        self.announcing.stop().await;
        self.delivering.stop().await;
        // Model calls record what they have and end; their tasks stay unfinished, for the
        // next start (or another replica) to resume. A call waiting long for the SQLite
        // writer (a big import holds it) is not waited for: it is resumed all the same.
        self.resuming.stop().await;
        self.phrases.stop().await;
        self.stopping.send_replace(true);
        let calls_ended = tokio::time::timeout(CALLS_STOP_WAIT, self.stopping.closed()).await;
        if calls_ended.is_err() {
            tracing::warn!("model calls still recording at stop; they resume at the next start");
        }
        self.indexing.stop().await;
        self.leasing.stop().await;
        result
    }
}
