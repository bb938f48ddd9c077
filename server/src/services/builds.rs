//! Builds: snapshot the approved lexicon, compile it into an artefact (see `lexset-filter`),
//! publish it under the next number.
//!
//! The number comes from the `builds` table's auto-increment key, so concurrent requests — on
//! any replica — get distinct, increasing numbers. A build runs as a task: its row is
//! `compiling` until one transaction stores the artefact bytes in `build_artifacts` and marks
//! it `published`, so a crash never leaves a half artefact under a published number, and every
//! replica serves every build.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use lexset_filter::artifact::{self, ArtifactInput, RuleInput, RuleKind};
use lexset_filter::checksum::sha256_hex;
use lexset_filter::{ArtifactError, Filter};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    IsolationLevel, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::build_events::BuildAnnouncer;
use super::leases::Replica;
use super::signing::{self, BuildSigner};
use super::tasks::{self, outcome_name};
use super::{AppState, blocking, coverage};
use crate::coverage::rules::DEFAULT_PROFILE;
use crate::dedup::Dedup;
use crate::dedup::keys::all_of_parts;
use crate::domain::status::{EntryStatus, KeywordKind};
use crate::messages::{Message, msg};
use crate::store::entities::{build, build_artifact, keyword};
use crate::taxonomy::Taxonomy;
use crate::telemetry;

/// The stages a build task reports, in order.
const STAGES: [&str; 3] = ["snapshot", "compile", "publish"];

/// What building needs beyond the database.
#[derive(Clone)]
pub struct BuildEnvironment {
    /// Where builds are written.
    pub db: DatabaseConnection,
    /// Where the lexicon is read from (see [`super::AppState::reads`]).
    pub reads: DatabaseConnection,
    pub dedup: Arc<Dedup>,
    pub taxonomy: Arc<Taxonomy>,
    pub rule_profiles_dir: PathBuf,
    /// Who runs the build tasks.
    pub replica: Replica,
    /// The key manifests are signed with (none: published unsigned).
    pub signer: Option<Arc<BuildSigner>>,
    /// Told of each publication, for the event stream.
    pub announcer: Arc<BuildAnnouncer>,
}

/// Loaded artefacts by build number (artefacts never change once published); keeps the
/// newest [`FilterCache::CAPACITY`] builds.
#[derive(Default)]
pub struct FilterCache {
    loaded: Mutex<HashMap<i64, Arc<Filter>>>,
    /// Held while a build is loaded, so requests arriving together for a build not yet
    /// loaded wait for one load instead of each reading and compiling the artefact.
    loading: tokio::sync::Mutex<()>,
}

impl FilterCache {
    pub const CAPACITY: usize = 8;
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{}", self.message())]
    NotFound(i64),
    #[error("{}", self.message())]
    NotPublished { number: i64, status: String },
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("artefact file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{}", self.message())]
    NoneYet,
    #[error("build {0} is published but its artefact is missing")]
    ArtifactMissing(i64),
    #[error(transparent)]
    Interrupted(#[from] blocking::Interrupted),
    #[error("{0}")]
    Other(String),
}

impl BuildError {
    /// What went wrong, for people.
    pub fn message(&self) -> Message {
        match self {
            Self::NotFound(number) => msg!("build_not_found", number = *number),
            Self::NoneYet => msg!("no_build_yet"),
            Self::NotPublished { number, status } => {
                msg!("build_not_published", number = *number, status = status)
            }
            other => msg!("internal_error", detail = other.to_string()),
        }
    }
}

/// Records a new build and its task (with the request's `audit` row), and runs it in the
/// background ([`run`]).
pub async fn start(
    env: &BuildEnvironment,
    audit: &AuditStamp,
) -> Result<(build::Model, crate::store::entities::task::Model), DbErr> {
    let actor = audit.actor.as_str();
    let txn = env.db.begin().await?;
    let task = tasks::create(&txn, "build", actor, STAGES.len() as i32, &env.replica).await?;
    let build = build::ActiveModel {
        status: Set("compiling".to_owned()),
        task_id: Set(task.id),
        created_by: Set(actor.to_owned()),
        created_at: Set(Utc::now()),
        published_at: Set(None),
        fold_profile_id: Set(env.dedup.profile.id.clone()),
        fold_profile_hash: Set(env.dedup.profile.hash.clone()),
        sha256: Set(None),
        size: Set(None),
        counts: Set(None),
        coverage: Set(None),
        error: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::commit(txn, Some(audit), Some(task.id)).await?;
    crate::task_runtime::spawn(run(env.clone(), build.number, task.id));
    Ok((build, task))
}

/// Compiles and publishes build `number`, reporting progress on `task_id`. On failure marks
/// both failed; a build once published stays published.
async fn run(env: BuildEnvironment, number: i64, task_id: i64) {
    let started = std::time::Instant::now();
    let outcome = compile_and_publish(&env, number, task_id).await;
    telemetry::task("build", outcome_name(&outcome), started.elapsed());
    if let Err(error) = outcome {
        tracing::error!(build = number, %error, "build failed");
        let message = error.to_string();
        let marked = async {
            build::Entity::update_many()
                .col_expr(build::Column::Status, "failed".into())
                .col_expr(build::Column::Error, message.clone().into())
                .filter(build::Column::Number.eq(number))
                .filter(build::Column::Status.eq("compiling"))
                .exec(&env.db)
                .await?;
            tasks::fail(&env.db, task_id, &message).await
        };
        if let Err(db_error) = marked.await {
            tracing::error!(build = number, %db_error, "cannot record the failure");
        }
    }
}

async fn compile_and_publish(
    env: &BuildEnvironment,
    number: i64,
    task_id: i64,
) -> Result<(), BuildError> {
    tasks::progress(&env.db, task_id, STAGES[0], 0).await?;
    // The lexicon and its coverage report are read in one transaction, so the report
    // describes exactly the entries compiled; on a reader connection, so writes go on
    // meanwhile. PostgreSQL's default isolation gives each statement its own view: ask for
    // one view for the whole snapshot (an SQLite read transaction is one snapshot already).
    let isolation = (env.reads.get_database_backend() == DbBackend::Postgres)
        .then_some(IsolationLevel::RepeatableRead);
    let snapshot = env.reads.begin_with_config(isolation, None).await?;
    let keywords: Vec<(String, KeywordKind, String)> = keyword::Entity::find()
        .select_only()
        .columns([
            keyword::Column::Term,
            keyword::Column::Kind,
            keyword::Column::Risk,
        ])
        .filter(keyword::Column::Status.eq(EntryStatus::Approved))
        .order_by_asc(keyword::Column::Id)
        .into_tuple()
        .all(&snapshot)
        .await?;

    let (report, _) = coverage::report(
        &snapshot,
        &env.taxonomy,
        &env.rule_profiles_dir,
        DEFAULT_PROFILE,
        &[EntryStatus::Approved],
        None,
    )
    .await
    .map_err(|e| BuildError::Other(format!("coverage: {e}")))?;
    snapshot.commit().await?;
    let coverage_json =
        serde_json::to_string(&report).map_err(|e| BuildError::Other(e.to_string()))?;

    tasks::progress(&env.db, task_id, STAGES[1], 1).await?;
    let mut by_risk: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (_, kind, risk) in &keywords {
        *by_kind.entry(kind.as_str()).or_default() += 1;
        if *kind != KeywordKind::Allow {
            *by_risk.entry(risk.clone()).or_default() += 1;
        }
    }
    let counts =
        serde_json::json!({ "total": keywords.len(), "by_kind": by_kind, "by_risk": by_risk });
    let dedup = env.dedup.clone();
    let risks: Vec<String> = env.taxonomy.risks.iter().map(|r| r.code.clone()).collect();
    let bytes = blocking::off_workers(move || compile(&dedup, &risks, number, &keywords)).await??;

    tasks::progress(&env.db, task_id, STAGES[2], 2).await?;
    let sha256 = sha256_hex(&bytes);
    let size = bytes.len();
    let published_at = Utc::now();
    let profile = &env.dedup.profile;
    let manifest = signing::manifest_of(
        number,
        &sha256,
        size,
        (&profile.id, &profile.hash),
        published_at,
    );
    let manifest = signing::published_manifest(env.signer.as_deref(), &manifest)
        .map_err(|e| BuildError::Other(format!("manifest: {e}")))?;
    let published = async {
        let txn = env.db.begin().await?;
        build_artifact::ActiveModel {
            build_number: Set(number),
            bytes: Set(bytes),
        }
        .insert(&txn)
        .await?;
        let marked = build::Entity::update_many()
            .col_expr(build::Column::Status, "published".into())
            .col_expr(build::Column::PublishedAt, published_at.into())
            .col_expr(build::Column::Manifest, manifest.into())
            .col_expr(build::Column::Sha256, sha256.clone().into())
            .col_expr(build::Column::Size, (size as i64).into())
            .col_expr(build::Column::Counts, counts.to_string().into())
            .col_expr(build::Column::Coverage, coverage_json.into())
            .filter(build::Column::Number.eq(number))
            .filter(build::Column::Status.eq("compiling"))
            .exec(&txn)
            .await?;
        if marked.rows_affected != 1 {
            // Failed meanwhile (a lease sweep): the transaction rolls back, nothing publishes.
            return Err(DbErr::Custom(format!(
                "build {number} is no longer compiling"
            )));
        }
        super::webhooks::enqueue(&txn, number).await?;
        let result = serde_json::json!({ "build": number, "sha256": sha256, "size": size });
        tasks::succeed(&txn, task_id, &result).await?;
        txn.commit().await
    };
    published.await?;
    env.announcer.published();
    telemetry::published_artifact(size);
    Ok(())
}

/// Moves the artefact files of builds published before artefacts lived in the database
/// (`<data dir>/builds/build-<n>.lexset`) into `build_artifacts`, checking each against its
/// recorded SHA-256; a file that does not match is left where it is and reported. Returns how
/// many were adopted.
pub async fn adopt_artifact_files(
    db: &DatabaseConnection,
    old_dir: &Path,
) -> Result<usize, BuildError> {
    if !old_dir.is_dir() {
        return Ok(0);
    }
    let stored: Vec<i64> = build_artifact::Entity::find()
        .select_only()
        .column(build_artifact::Column::BuildNumber)
        .into_tuple()
        .all(db)
        .await?;
    let mut adopted = 0;
    for build in list(db, i64::MAX as u64).await? {
        let path = old_dir.join(format!("build-{}.lexset", build.number));
        if stored.contains(&build.number) || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        if build.sha256.as_deref() != Some(sha256_hex(&bytes).as_str()) {
            tracing::error!(path = %path.display(), "artefact file does not match its build's SHA-256; left alone");
            continue;
        }
        build_artifact::ActiveModel {
            build_number: Set(build.number),
            bytes: Set(bytes),
        }
        .insert(db)
        .await?;
        std::fs::remove_file(&path)?;
        adopted += 1;
    }
    Ok(adopted)
}

/// Compiles approved keywords (term, kind, risk) into artefact bytes.
pub fn compile(
    dedup: &Dedup,
    risks: &[String],
    number: i64,
    keywords: &[(String, KeywordKind, String)],
) -> Result<Vec<u8>, BuildError> {
    let profile = &dedup.profile;
    let mut rules = Vec::with_capacity(keywords.len());
    for (term, kind, risk) in keywords {
        let (kind, parts) = match kind {
            KeywordKind::Block => (RuleKind::Block, vec![profile.fold(term)]),
            KeywordKind::Allow => (RuleKind::Allow, vec![profile.fold(term)]),
            KeywordKind::AllOf => match all_of_parts(profile, term) {
                Ok(parts) => (RuleKind::AllOf, parts),
                Err(_) => continue,
            },
        };
        if parts.iter().any(String::is_empty) {
            continue; // a legacy term the profile folds to nothing cannot match anything
        }
        let risks = if kind == RuleKind::Allow {
            Vec::new()
        } else {
            vec![risk.clone()]
        };
        rules.push(RuleInput {
            term: term.clone(),
            kind,
            parts,
            risks,
        });
    }
    Ok(artifact::write(&ArtifactInput {
        build_number: u64::try_from(number).unwrap_or_default(),
        fold_profile_id: &profile.id,
        fold_profile_hash: &profile.hash,
        table: &profile.table,
        risks,
        rules: &rules,
    })?)
}

/// The newest `limit` published builds, newest first.
pub async fn list(db: &DatabaseConnection, limit: u64) -> Result<Vec<build::Model>, DbErr> {
    build::Entity::find()
        .filter(build::Column::Status.eq("published"))
        .order_by_desc(build::Column::Number)
        .limit(limit)
        .all(db)
        .await
}

/// The newest published build.
pub async fn latest(db: &DatabaseConnection) -> Result<build::Model, BuildError> {
    build::Entity::find()
        .filter(build::Column::Status.eq("published"))
        .order_by_desc(build::Column::Number)
        .one(db)
        .await?
        .ok_or(BuildError::NoneYet)
}

/// One build, whatever its status.
pub async fn get(db: &DatabaseConnection, number: i64) -> Result<build::Model, BuildError> {
    build::Entity::find_by_id(number)
        .one(db)
        .await?
        .ok_or(BuildError::NotFound(number))
}

/// A published build.
pub async fn published(db: &DatabaseConnection, number: i64) -> Result<build::Model, BuildError> {
    let build = get(db, number).await?;
    if build.status == "published" {
        Ok(build)
    } else {
        Err(BuildError::NotPublished {
            number,
            status: build.status,
        })
    }
}

/// The artefact bytes of published build `number`.
pub async fn artifact(db: &DatabaseConnection, number: i64) -> Result<Vec<u8>, BuildError> {
    published(db, number).await?;
    build_artifact::Entity::find_by_id(number)
        .one(db)
        .await?
        .map(|artifact| artifact.bytes)
        .ok_or(BuildError::ArtifactMissing(number))
}

/// The loaded artefact of published build `number`, from this replica's cache or the
/// database.
pub async fn filter(
    env: &BuildEnvironment,
    cache: &FilterCache,
    number: i64,
) -> Result<Arc<Filter>, BuildError> {
    if let Some(filter) = cached(cache, number)? {
        return Ok(filter);
    }
    let _loading = cache.loading.lock().await;
    if let Some(filter) = cached(cache, number)? {
        return Ok(filter);
    }
    let bytes = artifact(&env.reads, number).await?;
    // Validating and building the automaton takes tens of milliseconds: keep it off the async
    // workers.
    let filter = blocking::off_workers(move || Filter::load(&bytes)).await??;
    let filter = Arc::new(filter);
    let mut cached = cache
        .loaded
        .lock()
        .map_err(|_| BuildError::Other("filter cache poisoned".into()))?;
    cached.insert(number, filter.clone());
    while cached.len() > FilterCache::CAPACITY {
        let oldest = cached.keys().copied().min().unwrap_or(number);
        cached.remove(&oldest);
    }
    Ok(filter)
}

/// Build `number`'s filter if it is loaded.
fn cached(cache: &FilterCache, number: i64) -> Result<Option<Arc<Filter>>, BuildError> {
    let loaded = cache
        .loaded
        .lock()
        .map_err(|_| BuildError::Other("filter cache poisoned".into()))?;
    Ok(loaded.get(&number).cloned())
}

/// A rule as a diff lists it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DiffEntry {
    /// `block`, `allow` or `all_of`.
    pub kind: &'static str,
    pub term: String,
    /// The folded form (`all_of`: parts joined with `+`).
    pub folded: String,
    pub risks: Vec<String>,
}

/// A rule whose risks changed between two builds.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Recategorised {
    pub kind: &'static str,
    pub term: String,
    pub folded: String,
    pub from_risks: Vec<String>,
    pub to_risks: Vec<String>,
}

/// What changed from build `from` to build `to`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BuildDiff {
    pub from: i64,
    pub to: i64,
    pub added: Vec<DiffEntry>,
    pub removed: Vec<DiffEntry>,
    pub recategorised: Vec<Recategorised>,
}

fn rules_of(filter: &Filter) -> BTreeMap<(&'static str, String), (String, Vec<String>)> {
    let mut rules = BTreeMap::new();
    for pattern in filter.patterns() {
        if pattern.block {
            rules.insert(
                ("block", pattern.folded.to_owned()),
                (pattern.term.to_owned(), pattern.risks.clone()),
            );
        }
        if pattern.allow {
            rules.insert(
                ("allow", pattern.folded.to_owned()),
                (pattern.term.to_owned(), Vec::new()),
            );
        }
    }
    for (term, parts, risks) in filter.and_rules() {
        rules.insert(("all_of", parts.join("+")), (term.to_owned(), risks));
    }
    rules
}

/// Compares two loaded artefacts rule by rule (keyed by kind and folded form).
pub async fn diff(state: &AppState, from: i64, to: i64) -> Result<BuildDiff, BuildError> {
    let env = state.build_environment();
    let old = filter(&env, &state.filters, from).await?;
    let new = filter(&env, &state.filters, to).await?;
    Ok(diff_filters(from, &old, to, &new))
}

/// What changed from `old` (build `from`) to `new` (build `to`).
pub fn diff_filters(from: i64, old: &Filter, to: i64, new: &Filter) -> BuildDiff {
    let (old_rules, new_rules) = (rules_of(old), rules_of(new));
    let entry =
        |((kind, folded), (term, risks)): (&(&'static str, String), &(String, Vec<String>))| {
            DiffEntry {
                kind,
                term: term.clone(),
                folded: folded.clone(),
                risks: risks.clone(),
            }
        };
    BuildDiff {
        from,
        to,
        added: new_rules
            .iter()
            .filter(|(k, _)| !old_rules.contains_key(*k))
            .map(entry)
            .collect(),
        removed: old_rules
            .iter()
            .filter(|(k, _)| !new_rules.contains_key(*k))
            .map(entry)
            .collect(),
        recategorised: new_rules
            .iter()
            .filter_map(|(key, (term, risks))| {
                let (_, old_risks) = old_rules.get(key)?;
                (old_risks != risks).then(|| Recategorised {
                    kind: key.0,
                    term: term.clone(),
                    folded: key.1.clone(),
                    from_risks: old_risks.clone(),
                    to_risks: risks.clone(),
                })
            })
            .collect(),
    }
}

/// Reads what filter services pull from the read replica when one is configured; a build the
/// replica does not have yet (replication lag) is read from the primary.
pub async fn pull<T, Read, Fut>(state: &AppState, read: Read) -> Result<T, BuildError>
where
    Read: Fn(DatabaseConnection) -> Fut,
    Fut: Future<Output = Result<T, BuildError>>,
{
    let Some(replica) = &state.pulls else {
        return read(state.reads.clone()).await;
    };
    match read(replica.clone()).await {
        Err(
            BuildError::NotFound(_)
            | BuildError::NoneYet
            | BuildError::NotPublished { .. }
            | BuildError::ArtifactMissing(_),
        ) => read(state.reads.clone()).await,
        Err(BuildError::Database(error)) => {
            tracing::warn!(%error, "the read replica failed; reading from the primary");
            read(state.reads.clone()).await
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::connect_and_migrate;

    async fn published_build(db: &DatabaseConnection, sha256: &str) -> build::Model {
        let replica = Replica::new(Some("tester"), Path::new(".")).unwrap();
        let task = tasks::create(db, "build", "tester", 3, &replica)
            .await
            .unwrap();
        build::ActiveModel {
            status: Set("published".to_owned()),
            task_id: Set(task.id),
            created_by: Set("tester".to_owned()),
            created_at: Set(Utc::now()),
            published_at: Set(Some(Utc::now())),
            fold_profile_id: Set("p".to_owned()),
            fold_profile_hash: Set("h".to_owned()),
            sha256: Set(Some(sha256.to_owned())),
            size: Set(Some(4)),
            counts: Set(None),
            coverage: Set(None),
            error: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn artefact_files_of_older_versions_move_into_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
        let db = connect_and_migrate(&url).await.unwrap();
        let good = published_build(&db, &sha256_hex(b"good")).await;
        let tampered = published_build(&db, &sha256_hex(b"original")).await;
        let old_dir = dir.path().join("builds");
        std::fs::create_dir_all(&old_dir).unwrap();
        let file = |number: i64| old_dir.join(format!("build-{number}.lexset"));
        std::fs::write(file(good.number), b"good").unwrap();
        std::fs::write(file(tampered.number), b"changed").unwrap();

        assert_eq!(adopt_artifact_files(&db, &old_dir).await.unwrap(), 1);
        assert_eq!(artifact(&db, good.number).await.unwrap(), b"good");
        assert!(!file(good.number).exists());
        assert!(matches!(
            artifact(&db, tampered.number).await,
            Err(BuildError::ArtifactMissing(_))
        ));
        assert!(file(tampered.number).exists(), "a mismatch is left alone");
        // Running it again adopts nothing new.
        assert_eq!(adopt_artifact_files(&db, &old_dir).await.unwrap(), 0);
    }
}
