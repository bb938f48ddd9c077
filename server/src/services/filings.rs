//! Filing packages: one zip archive of what a filing attaches — the keyword workbook of a
//! published build (附件4), the workbook of each frozen question set (附件5) with the rule
//! profile's coverage report over it, the profile's coverage report over the store's approved
//! entries, and each test run's workbook and JSON report — with a
//! `manifest.json` naming each file's sha256 and size, the build and its artefact's sha256,
//! the sets' versions, the fold profile, the rule profile, lexset's version, who assembled it
//! and when. The archive is stored whole and never changed: downloading it later yields the
//! same bytes, and the manifest verifies them.

use std::io::Write;

use chrono::{DateTime, Utc};
use lexset_filter::checksum::sha256_hex;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::coverage::{self, CoverageError, ReportFormat};
use super::exports::{self, ExportName, ExportSelection};
use super::{AppState, ServiceError, builds, model_calls, question_sets, run_reports, test_runs};
use crate::coverage::rules::load_profiles;
use crate::domain::field_error::FieldError;
use crate::domain::status::EntryStatus;
use crate::messages::msg;
use crate::store::entities::filing;

/// What a filing package holds.
#[derive(Debug, Clone)]
pub struct FilingRequest {
    /// The published build whose keywords are filed.
    pub build: i64,
    /// Frozen question sets filed (a repeat is filed once).
    pub sets: Vec<i64>,
    /// Test runs filed, with their reports against `profile` (a repeat is filed once).
    pub runs: Vec<i64>,
    pub profile: String,
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManifestFile {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// The filed build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManifestBuild {
    pub number: i64,
    /// Of the artefact filter services load (`GET /v1/builds/{n}/artifact`).
    pub artifact_sha256: String,
    pub fold_profile_id: String,
    pub fold_profile_hash: String,
}

/// A filed question set, as frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManifestSet {
    pub id: i64,
    pub name: String,
    pub version: i32,
    pub members: i64,
}

/// A filed test run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ManifestRun {
    pub id: i64,
    pub set: i64,
    pub model_name: String,
    pub model_version: String,
    /// The filter build its interception figures are measured with, if any.
    pub build: Option<i64>,
    /// The set's questions, those answered, those with an agreed verdict, and (four eyes)
    /// those whose judging is still open.
    pub questions: u64,
    pub answered: u64,
    pub judged: u64,
    /// Answers whose 合格 a judge model gave, nobody having judged them.
    pub model_judged: u64,
    pub open: u64,
    /// Whether every rate rule of the profile that applies passes.
    pub passed: bool,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    /// `lexset-filing/1`.
    pub format: String,
    pub lexset_version: String,
    pub assembled_by: String,
    pub assembled_at: DateTime<Utc>,
    /// The rule profile the coverage reports and the run reports check, and where it was read
    /// from (a shipped seed, or a file of the data directory that replaces or adds one).
    pub rule_profile: String,
    pub rule_profile_origin: String,
    pub build: ManifestBuild,
    pub sets: Vec<ManifestSet>,
    pub runs: Vec<ManifestRun>,
    /// Every other file of the archive, in order.
    pub files: Vec<ManifestFile>,
}

pub const MANIFEST_FORMAT: &str = "lexset-filing/1";
/// The most sets, and the most runs, one package holds (each file is held in memory while the
/// package is assembled).
pub const MAX_PER_KIND: usize = 100;
pub const MANIFEST_NAME: &str = "manifest.json";

/// Assembles and stores a filing package; returns it. Refused before anything is stored: an
/// unknown profile, a build that is not published, an unknown or retired set, an unknown run.
pub async fn assemble(
    state: &AppState,
    request: FilingRequest,
    audit: &AuditStamp,
) -> Result<filing::Model, ServiceError> {
    let (request_sets, request_runs) = (once_each(&request.sets), once_each(&request.runs));
    for (field, ids) in [("sets", &request_sets), ("runs", &request_runs)] {
        if ids.len() > MAX_PER_KIND {
            let message = msg!("too_many_ids", field = field, max = MAX_PER_KIND);
            return Err(FieldError::new(field, message).into());
        }
    }
    let profiles =
        load_profiles(&state.taxonomy, &state.rule_profiles_dir).map_err(CoverageError::Profile)?;
    let rule_profile_origin = coverage::named(&profiles, &request.profile)?.origin.clone();
    let build = builds::published(&state.reads, request.build).await?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let keywords = ExportSelection {
        build: Some(build.number),
        ..Default::default()
    };
    files.push((
        format!("keywords-build-{}.xlsx", build.number),
        exports::produce(state, ExportName::KeywordsXlsx, &keywords).await?,
    ));
    let mut sets = Vec::with_capacity(request_sets.len());
    for id in request_sets {
        let set = question_sets::get(&state.reads, id).await?;
        if set.retired_at.is_some() {
            return Err(ServiceError::SetRetired(id));
        }
        let selection = ExportSelection {
            set: Some(id),
            ..Default::default()
        };
        files.push((
            format!("question-set-{id}-v{}.xlsx", set.version),
            exports::produce(state, ExportName::QuestionsXlsx, &selection).await?,
        ));
        files.push((
            format!("coverage-{}-set-{id}.xlsx", request.profile),
            coverage::report_file(
                state,
                &request.profile,
                &[EntryStatus::Approved],
                Some(id),
                ReportFormat::Xlsx,
            )
            .await?,
        ));
        sets.push(ManifestSet {
            id,
            name: set.name,
            version: set.version,
            members: set.member_count,
        });
    }
    files.push((
        format!("coverage-{}.xlsx", request.profile),
        coverage::report_file(
            state,
            &request.profile,
            &[EntryStatus::Approved],
            None,
            ReportFormat::Xlsx,
        )
        .await?,
    ));
    let mut runs = Vec::with_capacity(request_runs.len());
    for id in request_runs {
        let run = test_runs::get(&state.reads, id).await?;
        if model_calls::calling(&state.reads, id).await? {
            return Err(ServiceError::RunCalling(id));
        }
        let (report, workbook) =
            run_reports::report_and_workbook(state, id, &request.profile).await?;
        let json = serde_json::to_vec_pretty(&report)
            .map_err(|e| ServiceError::Render(format!("run report: {e}")))?;
        files.push((format!("run-{id}-report.json"), json));
        files.push((format!("run-{id}.xlsx"), workbook));
        let count = |n: usize| n as u64;
        runs.push(ManifestRun {
            id,
            set: run.set_id,
            model_name: run.model_name,
            model_version: run.model_version,
            build: run.build_number,
            questions: count(report.overall.questions),
            answered: count(report.overall.answered),
            judged: count(report.overall.judged),
            model_judged: count(report.overall.model_judged),
            open: count(report.overall.open),
            passed: report.passed,
        });
    }
    let artifact_sha256 = build.sha256.clone().ok_or_else(|| {
        ServiceError::Render(format!(
            "build {}: published without a sha256",
            build.number
        ))
    })?;
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        lexset_version: env!("CARGO_PKG_VERSION").to_owned(),
        assembled_by: audit.actor.clone(),
        assembled_at: Utc::now(),
        rule_profile: request.profile.clone(),
        rule_profile_origin,
        build: ManifestBuild {
            number: build.number,
            artifact_sha256,
            fold_profile_id: build.fold_profile_id,
            fold_profile_hash: build.fold_profile_hash,
        },
        sets,
        runs,
        files: files
            .iter()
            .map(|(name, bytes)| ManifestFile {
                name: name.clone(),
                sha256: sha256_hex(bytes),
                size: bytes.len() as u64,
            })
            .collect(),
    };
    let manifest_json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| ServiceError::Render(format!("manifest: {e}")))?;
    let archive = super::blocking::off_workers({
        let manifest_json = manifest_json.clone();
        move || zip_archive(&manifest_json, &files)
    })
    .await?
    .map_err(|e| ServiceError::Render(format!("filing archive: {e}")))?;
    let txn = state.db.begin().await?;
    let stored = filing::ActiveModel {
        manifest: Set(manifest_json),
        sha256: Set(sha256_hex(&archive)),
        size: Set(i64::try_from(archive.len()).unwrap_or(i64::MAX)),
        archive: Set(archive),
        created_by: Set(audit.actor.clone()),
        created_at: Set(manifest.assembled_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::commit(txn, Some(audit), Some(stored.id)).await?;
    Ok(stored)
}

/// `ids` in order, each once.
fn once_each(ids: &[i64]) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// The archive: `manifest.json` first, then the files, each deflated with the zip format's
/// earliest time stamp (the manifest says when).
fn zip_archive(manifest: &str, files: &[(String, Vec<u8>)]) -> zip::result::ZipResult<Vec<u8>> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file(MANIFEST_NAME, options)?;
    writer.write_all(manifest.as_bytes())?;
    for (name, bytes) in files {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// Filing `id` with its archive.
pub async fn get(db: &DatabaseConnection, id: i64) -> Result<filing::Model, ServiceError> {
    filing::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::FilingNotFound(id))
}

/// Filing `id` without its archive (left empty: never read here).
pub async fn summary(db: &DatabaseConnection, id: i64) -> Result<filing::Model, ServiceError> {
    summaries(db, Some(id))
        .await?
        .pop()
        .ok_or(ServiceError::FilingNotFound(id))
}

/// Every filing, newest first, without its archive (left empty: never read here).
pub async fn list(db: &DatabaseConnection) -> Result<Vec<filing::Model>, ServiceError> {
    summaries(db, None).await
}

async fn summaries(
    db: &DatabaseConnection,
    only: Option<i64>,
) -> Result<Vec<filing::Model>, ServiceError> {
    type Row = (i64, String, String, i64, String, DateTime<Utc>);
    let mut select = filing::Entity::find();
    if let Some(id) = only {
        select = select.filter(filing::Column::Id.eq(id));
    }
    let rows: Vec<Row> = select
        .select_only()
        .columns([
            filing::Column::Id,
            filing::Column::Manifest,
            filing::Column::Sha256,
            filing::Column::Size,
            filing::Column::CreatedBy,
            filing::Column::CreatedAt,
        ])
        .order_by_desc(filing::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, manifest, sha256, size, created_by, created_at)| filing::Model {
                id,
                manifest,
                archive: Vec::new(),
                sha256,
                size,
                created_by,
                created_at,
            },
        )
        .collect())
}

/// The manifest stored with `filing`.
pub fn manifest_of(filing: &filing::Model) -> Result<Manifest, ServiceError> {
    serde_json::from_str(&filing.manifest).map_err(|e| {
        ServiceError::Render(format!(
            "filing {}: stored manifest unreadable: {e}",
            filing.id
        ))
    })
}
