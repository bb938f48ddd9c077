//! Importing keyword and question files: every row ends as accepted, duplicate (of a live
//! entry or of an earlier row, after folding) or invalid (with a reason), and a commit writes
//! all accepted rows in one transaction — an error anywhere leaves nothing half imported, and
//! importing the same file again accepts nothing.
//!
//! One file per job: `options` parses what was asked and checks it before the file is read,
//! `rows` reads and checks the rows (off the async workers), `write` stores them; this module
//! runs the three, as a task for the API or in the foreground for the command line.

mod options;
mod rows;
mod write;

use std::collections::HashMap;
use std::sync::Arc;

use lexset_importers::table::{Format, TableError, check_inflated_size};
use serde::Serialize;
use utoipa::ToSchema;

pub use self::options::{
    ImportRequest, authorize_status, parse_format, parse_mapping, resolve_options,
};
pub use self::rows::{read_table, unreadable_file};
use sea_orm::TransactionTrait;

use super::audit::AuditStamp;
use super::revisions::ChangeContext;
use super::{AppState, ServiceError, blocking, tasks};
use crate::domain::field_error::FieldError;
use crate::domain::role::Role;
use crate::domain::status::{EntryStatus, ExpectedBehavior, KeywordKind, QuestionKind};
use crate::domain::text::Actor;
use crate::messages::{Lang, msg};
use crate::store::entities::task;
use crate::telemetry;

/// Told the stage (`check`, then `write`) and how many rows of it are done of how many.
pub type Progress = Arc<dyn Fn(&'static str, usize, usize) + Send + Sync>;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Keyword,
    Question,
}

/// How to read and file the rows.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub kind: ImportKind,
    /// `None`: sniffed from the bytes (see `Format::sniff`).
    pub format: Option<Format>,
    /// XLSX sheet by name (default: the first whose header names a term or question column).
    pub sheet: Option<String>,
    /// The risk of rows that name none.
    pub default_risk: Option<String>,
    /// Labels to risk codes (色情词库 → A.1.f); also applied to the file name's stem.
    pub mapping: HashMap<String, String>,
    pub file_name: Option<String>,
    /// The kind of question rows that do not say; when not given either, a 是否应拒答 column
    /// of 是 / 否 files rows as must-refuse / must-not-refuse (how such files use it), and other
    /// rows are generation questions.
    pub question_kind: Option<QuestionKind>,
    /// The aspect of must-not-refuse rows that name none (a code).
    pub default_aspect: Option<String>,
    /// The expected behaviour of question rows that do not say.
    pub default_behavior: Option<ExpectedBehavior>,
    /// Fill missing 预期输出结果 and 判定标准 from the answer templates.
    pub templates: bool,
    /// Status of imported entries (default draft).
    pub status: EntryStatus,
    pub dry_run: bool,
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowReport {
    /// Line (or sheet row) number in the file.
    pub line: usize,
    /// `accepted`, `duplicate` or `invalid`.
    pub outcome: &'static str,
    /// For invalid rows: `malformed`, `empty`, `control_characters`, `over_long`,
    /// `unknown_risk`, `several_terms`, `lint_errors`, `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The live entry this row duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of_entry: Option<i64>,
    /// The earlier row this row duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of_line: Option<usize>,
    /// The entry created (after a commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<i64>,
    /// `block`, `allow` or `all_of` for keyword rows (`A+B` lines are `all_of`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyword_kind: Option<KeywordKind>,
    /// The term or question text as read.
    pub text: String,
}

/// The whole import.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub encoding: &'static str,
    pub rows: usize,
    pub accepted: usize,
    pub duplicates: usize,
    pub invalid: usize,
    /// Invalid rows per reason.
    pub reasons: std::collections::BTreeMap<&'static str, usize>,
    pub items: Vec<RowReport>,
}

/// The stages of an import: rows are read and checked, then written in one transaction.
pub const STAGE_CHECK: &str = "check";
pub const STAGE_WRITE: &str = "write";

/// Reads, checks and (unless a dry run) imports `bytes`, telling `progress` as rows are
/// checked and written; the rows' messages are in `lang`.
pub async fn import(
    state: &AppState,
    context: &ChangeContext,
    bytes: Vec<u8>,
    options: &ImportOptions,
    lang: Lang,
    progress: Progress,
) -> Result<ImportReport, ServiceError> {
    let (resolver, default_risk) = resolve_options(state.checks(), options)?;
    let existing = write::live_keys(&state.reads, options.kind).await?;
    let checked = {
        let (state, options, progress) = (state.clone(), options.clone(), progress.clone());
        blocking::off_workers(move || {
            let file = rows::FileChecks {
                checks: state.checks(),
                options: &options,
                resolver: &resolver,
                default_risk: default_risk.as_deref(),
                existing: &existing,
                lang,
            };
            rows::check_file(&file, &bytes, &*progress)
        })
        .await??
    };
    let rows::CheckedFile {
        encoding,
        mut items,
        pending,
    } = checked;
    let total = items.len();
    if !options.dry_run && !pending.is_empty() {
        let batch = write::Batch {
            checks: state.checks(),
            context,
            options,
            total,
        };
        write::write(&state.db, &batch, pending, &mut items, &*progress).await?;
    }
    progress(STAGE_WRITE, total, total);
    let mut reasons = std::collections::BTreeMap::new();
    for item in &items {
        if let Some(reason) = item.reason {
            *reasons.entry(reason).or_insert(0) += 1;
        }
    }
    let count = |outcome: &str| items.iter().filter(|i| i.outcome == outcome).count();
    if !options.dry_run {
        for outcome in ["accepted", "duplicate", "invalid"] {
            telemetry::imported_rows(outcome, count(outcome));
        }
    }
    Ok(ImportReport {
        dry_run: options.dry_run,
        encoding,
        rows: total,
        accepted: count("accepted"),
        duplicates: count("duplicate"),
        invalid: count("invalid"),
        reasons,
        items,
    })
}

/// Checks an import asked for through the API by `actor` with `role`, records its task (with
/// the request's `audit` row) and runs it in the background; the task's result is the row
/// report, its messages in `lang` (the language of the request).
pub async fn start(
    state: &AppState,
    (actor, role): (Actor, Role),
    audit: &AuditStamp,
    bytes: Vec<u8>,
    options: ImportOptions,
    lang: Lang,
) -> Result<task::Model, ServiceError> {
    authorize_status(&options, Some(role), state.four_eyes)?;
    resolve_options(state.checks(), &options)?;
    if bytes.is_empty() {
        return Err(FieldError::unprocessable("file", msg!("empty_file")).into());
    }
    // A workbook that inflates past the limit (a zip bomb) is refused now, with 413, rather
    // than failing the task later.
    let bytes = if options.format.unwrap_or_else(|| Format::sniff(&bytes)) == Format::Xlsx {
        blocking::off_workers(move || check_inflated_size(&bytes).map(|()| bytes))
            .await?
            .map_err(|error| match error {
                TableError::WorkbookTooLarge => ServiceError::FileTooLarge(error),
                other => FieldError::unprocessable("file", unreadable_file(&other)).into(),
            })?
    } else {
        bytes
    };
    // The number of rows is known once the file is read; the task's total follows then.
    let txn = state.db.begin().await?;
    let task = tasks::create(&txn, "import", actor.as_str(), 0, &state.replica).await?;
    // A dry run changes nothing: its task is not audited as a write.
    let audit = (!options.dry_run).then_some(audit);
    super::audit::commit(txn, audit, Some(task.id)).await?;
    crate::task_runtime::spawn(run(state.clone(), task.id, actor, bytes, options, lang));
    Ok(task)
}

/// Runs an import task to its end, recording the report or the failure (in `lang`).
async fn run(
    state: AppState,
    task_id: i64,
    actor: Actor,
    bytes: Vec<u8>,
    options: ImportOptions,
    lang: Lang,
) {
    // The request was audited with the task's creation; the rows' revisions name the actor.
    let context = ChangeContext {
        actor,
        reason: None,
        audit: None,
    };
    // Polls read progress from the in-process registry first, so they need no database.
    let live = state.live_progress.clone();
    let progress: Progress =
        Arc::new(move |stage, done, total| live.set(task_id, stage, done, total));
    let started = std::time::Instant::now();
    let imported = import(&state, &context, bytes, &options, lang, progress).await;
    telemetry::task("import", tasks::outcome_name(&imported), started.elapsed());
    let outcome = match imported {
        Ok(report) => match serde_json::to_value(&report) {
            Ok(value) => {
                let rows = i32::try_from(report.rows).unwrap_or(i32::MAX);
                match tasks::set_total(&state.db, task_id, rows).await {
                    Ok(()) => tasks::succeed(&state.db, task_id, &value).await,
                    Err(error) => Err(error),
                }
            }
            Err(error) => tasks::fail(&state.db, task_id, &error.to_string()).await,
        },
        Err(error) if error.is_internal() => {
            // The reader gets the generic text; the details go to the log, as for requests.
            tracing::error!(task = task_id, %error, "import failed");
            tasks::fail(&state.db, task_id, &msg!("internal").render(lang)).await
        }
        Err(error) => tasks::fail(&state.db, task_id, &error.message().render(lang)).await,
    };
    state.live_progress.finish(task_id);
    if let Err(error) = outcome {
        tracing::error!(task = task_id, %error, "cannot record the import");
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

    use super::*;
    use crate::dedup::Dedup;
    use crate::dedup::near_duplicates::NearDuplicateConfig;
    use crate::domain::text::Actor;
    use crate::fold::FoldProfile;
    use crate::lint::LintConfig;
    use crate::store::connect_and_migrate;
    use crate::store::entities::{keyword, revision};
    use crate::taxonomy::Taxonomy;

    #[tokio::test]
    async fn an_import_failing_midway_leaves_the_store_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("i.db").display());
        let db = connect_and_migrate(&url).await.unwrap();
        let taxonomy = Taxonomy::shipped().unwrap();
        crate::services::taxonomy::load(&db, &taxonomy)
            .await
            .unwrap();
        // The third keyword insert fails, after two rows and their revisions were written.
        db.execute_unprepared(
            "CREATE TRIGGER fail_third BEFORE INSERT ON keywords \
             WHEN (SELECT COUNT(*) FROM keywords) >= 2 BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        )
        .await
        .unwrap();
        let dedup = Dedup {
            profile: FoldProfile::shipped().unwrap(),
            near_duplicates: NearDuplicateConfig::shipped().unwrap(),
        };
        let lints = LintConfig::shipped(&dedup.profile, &[]).unwrap();
        let answer_templates =
            crate::answer_templates::AnswerTemplates::load(dir.path(), &taxonomy).unwrap();
        let state = AppState {
            db: db.clone(),
            reads: db.clone(),
            taxonomy: Arc::new(taxonomy),
            dedup: Arc::new(dedup),
            lints: Arc::new(lints),
            answer_templates: Arc::new(answer_templates),
            refusals: Arc::new(crate::services::refusal_phrases::PhrasesInForce::new(
                crate::services::refusal_phrases::in_force(
                    &db,
                    dir.path(),
                    &FoldProfile::shipped().unwrap(),
                )
                .await
                .unwrap(),
            )),
            rule_profiles_dir: dir.path().to_owned(),
            replica: crate::services::leases::Replica::new(Some("test"), dir.path()).unwrap(),
            pulls: None,
            filters: Arc::default(),
            four_eyes: true,
            max_upload_bytes: 1 << 20,
            live_progress: Arc::default(),
            tokens: Arc::default(),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            closing: Arc::new(tokio::sync::watch::Sender::new(false)),
            build_events: Arc::default(),
            signer: None,
        };
        let context = ChangeContext {
            actor: Actor::parse("test").unwrap(),
            reason: None,
            audit: None,
        };
        let options = ImportOptions {
            kind: ImportKind::Keyword,
            format: Some(Format::Txt),
            sheet: None,
            default_risk: Some("A.1.a".to_owned()),
            mapping: HashMap::new(),
            file_name: None,
            question_kind: None,
            default_aspect: None,
            default_behavior: None,
            templates: false,
            status: EntryStatus::Draft,
            dry_run: false,
        };
        let bytes = "甲词\n乙词\n丙词\n丁词\n".as_bytes().to_vec();
        let result = import(
            &state,
            &context,
            bytes,
            &options,
            Lang::En,
            Arc::new(|_, _, _| {}),
        )
        .await;
        assert!(result.is_err(), "{result:?}");
        assert_eq!(keyword::Entity::find().count(&db).await.unwrap(), 0);
        assert_eq!(revision::Entity::find().count(&db).await.unwrap(), 0);
    }
}
