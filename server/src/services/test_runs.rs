//! Test runs: a frozen question set put to the model under filing. Each answer is recorded
//! once per run and question, at the revision the set pinned, with what refusal detection
//! makes of it; a re-run is a new run, so nothing recorded is ever overwritten.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use lexset_importers::columns::Column;
use lexset_importers::table::{Format, Table};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::page::{PageRequest, keyset_page};
use super::{AppState, ServiceError, blocking, builds, imports, question_sets};
use crate::domain::field_error::FieldError;
use crate::domain::test_run::{ModelEndpoint, ModelName, ModelVersion};
use crate::messages::msg;
use crate::refusal::{RefusalDetector, RefusalVerdict};
use crate::store::entities::{question_set_member, test_answer, test_run};

/// What a new run is of.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub set_id: i64,
    pub model_name: ModelName,
    pub model_version: ModelVersion,
    pub model_endpoint: Option<ModelEndpoint>,
    /// A published filter build the run is measured with.
    pub build: Option<i64>,
}

/// Starts a run of a live set. Refused: an unknown or retired set, a build that is not
/// published.
pub async fn create(
    db: &DatabaseConnection,
    new: NewRun,
    audit: &AuditStamp,
) -> Result<test_run::Model, ServiceError> {
    if let Some(number) = new.build {
        builds::published(db, number).await?;
    }
    let txn = db.begin().await?;
    let set = question_sets::get(&txn, new.set_id).await?;
    if set.retired_at.is_some() {
        return Err(ServiceError::SetRetired(set.id));
    }
    let run = test_run::ActiveModel {
        set_id: Set(set.id),
        model_name: Set(new.model_name.into_inner()),
        model_version: Set(new.model_version.into_inner()),
        model_endpoint: Set(new.model_endpoint.map(ModelEndpoint::into_inner)),
        build_number: Set(new.build),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::commit(txn, Some(audit), Some(run.id)).await?;
    Ok(run)
}

/// How far a run has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RunCounts {
    /// Questions in the run's set.
    pub questions: i64,
    /// Questions answered so far.
    pub answered: u64,
    /// Answers refusal detection found refusing.
    pub refused: u64,
}

/// Run `id`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<test_run::Model, ServiceError> {
    test_run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::RunNotFound(id))
}

/// Run `id` with its counts.
pub async fn with_counts(
    db: &DatabaseConnection,
    id: i64,
) -> Result<(test_run::Model, RunCounts), ServiceError> {
    let run = get(db, id).await?;
    let counts = counts(db, &run).await?;
    Ok((run, counts))
}

/// A page of runs, oldest first, each with its counts.
pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<(Vec<(test_run::Model, RunCounts)>, Option<String>), ServiceError> {
    let (runs, next) = keyset_page(
        db,
        test_run::Entity::find(),
        test_run::Column::Id,
        |run| run.id,
        page,
    )
    .await?;
    let mut counted = Vec::with_capacity(runs.len());
    for run in runs {
        let counts = counts(db, &run).await?;
        counted.push((run, counts));
    }
    Ok((counted, next))
}

async fn counts(db: &DatabaseConnection, run: &test_run::Model) -> Result<RunCounts, ServiceError> {
    let set = question_sets::get(db, run.set_id).await?;
    let of_run = || test_answer::Entity::find().filter(test_answer::Column::RunId.eq(run.id));
    Ok(RunCounts {
        questions: set.member_count,
        answered: of_run().count(db).await?,
        refused: of_run()
            .filter(test_answer::Column::Refused.eq(true))
            .count(db)
            .await?,
    })
}

/// What became of one row of an answers file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerOutcome {
    /// Recorded.
    Accepted,
    /// The row names no question of the run's set (by id or exact text).
    UnknownQuestion,
    /// The question has an answer already: earlier in the file, or recorded before.
    DuplicateAnswer,
    /// The answer cell is empty.
    EmptyAnswer,
    /// The row could not be read (a malformed CSV or JSON line).
    Unreadable,
}

/// One row of an answers file and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnswerRow {
    /// Line (or sheet row) of the file.
    pub line: usize,
    pub outcome: AnswerOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<i64>,
    /// For accepted rows: whether refusal detection found the answer refusing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<bool>,
}

/// What an answers upload recorded.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnswerReport {
    pub run: i64,
    pub accepted: usize,
    /// Rows not recorded (every outcome but `accepted`).
    pub rejected: usize,
    /// Accepted answers found refusing.
    pub refused: usize,
    pub items: Vec<AnswerRow>,
}

/// An answer to record: the member it answers and what refusal detection made of it.
struct Recorded {
    member: (i64, i32),
    answer: String,
    verdict: RefusalVerdict,
}

/// Records the answers of an uploaded file (CSV, TXT, JSONL, JSON or XLSX with a header row)
/// to run `run_id`: each row names its question by `question_id` (题目编号) or by the exact
/// text of the member (题目 / 问题 …) and gives the model's answer (模型回答 / answer …).
/// Rows that name no member, repeat a question, or carry no answer are reported and not
/// stored; the others are stored in one transaction with their refusal verdicts. A question
/// answered by a concurrent upload meanwhile refuses the whole upload (`409`), nothing stored.
pub async fn record_answers(
    state: &AppState,
    run_id: i64,
    bytes: Vec<u8>,
    format: Option<Format>,
    audit: &AuditStamp,
) -> Result<AnswerReport, ServiceError> {
    if bytes.is_empty() {
        return Err(FieldError::unprocessable("file", msg!("empty_file")).into());
    }
    let run = get(&state.reads, run_id).await?;
    let (_, members) = question_sets::frozen(&state.reads, run.set_id).await?;
    let answered: HashSet<i64> = test_answer::Entity::find()
        .select_only()
        .column(test_answer::Column::QuestionId)
        .filter(test_answer::Column::RunId.eq(run_id))
        .into_tuple()
        .all(&state.reads)
        .await?
        .into_iter()
        .collect();
    let detector = state.refusals.clone();
    let (items, recorded) = blocking::off_workers(move || {
        let format = format.unwrap_or_else(|| Format::sniff(&bytes));
        let table = imports::read_table(&bytes, format, None)?;
        check_columns(&table)?;
        Ok::<_, ServiceError>(match_rows(&table, &members, answered, &detector))
    })
    .await??;
    let txn = state.db.begin().await?;
    let now = Utc::now();
    let refused = recorded.iter().filter(|r| r.verdict.refused).count();
    let accepted = recorded.len();
    for chunk in recorded.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|r| test_answer::ActiveModel {
            run_id: Set(run_id),
            question_id: Set(r.member.0),
            revision: Set(r.member.1),
            answer: Set(r.answer.clone()),
            refused: Set(r.verdict.refused),
            refusal_rule: Set(r.verdict.rule.as_str().to_owned()),
            refusal_evidence: Set(r
                .verdict
                .evidence
                .as_ref()
                .and_then(|e| serde_json::to_string(e).ok())),
            refusal_confidence: Set(r.verdict.confidence),
            recorded_by: Set(audit.actor.clone()),
            recorded_at: Set(now),
        });
        let inserted = test_answer::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([test_answer::Column::RunId, test_answer::Column::QuestionId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        if inserted != chunk.len() as u64 {
            return Err(ServiceError::AnswersRaced(run_id));
        }
    }
    super::audit::commit(txn, Some(audit), None).await?;
    Ok(AnswerReport {
        run: run_id,
        accepted,
        rejected: items.len() - accepted,
        refused,
        items,
    })
}

/// Answers inserted per statement (9 columns: well under SQLite's 32 766 variables).
const INSERT_CHUNK: usize = 500;

/// An answers file needs an answer column and a question id or question column.
fn check_columns(table: &Table) -> Result<(), ServiceError> {
    let has = |column| table.columns.contains(&Some(column));
    if has(Column::ModelAnswer) && (has(Column::QuestionId) || has(Column::Question)) {
        Ok(())
    } else {
        Err(FieldError::unprocessable("file", msg!("answers_file_columns")).into())
    }
}

/// The report of every row and the answers to record, in file order.
fn match_rows(
    table: &Table,
    members: &[question_set_member::Model],
    mut answered: HashSet<i64>,
    detector: &RefusalDetector,
) -> (Vec<AnswerRow>, Vec<Recorded>) {
    let by_id: HashMap<i64, &question_set_member::Model> =
        members.iter().map(|m| (m.question_id, m)).collect();
    let mut by_text: HashMap<&str, &question_set_member::Model> = HashMap::new();
    for member in members {
        by_text.entry(member.text.trim()).or_insert(member);
    }
    let mut items = Vec::with_capacity(table.rows.len());
    let mut recorded = Vec::new();
    for row in &table.rows {
        let report = |outcome, question_id| AnswerRow {
            line: row.line,
            outcome,
            question_id,
            refused: None,
        };
        if row.malformed.is_some() {
            items.push(report(AnswerOutcome::Unreadable, None));
            continue;
        }
        let member = match table.cell(row, Column::QuestionId) {
            Some(id) => id.parse::<i64>().ok().and_then(|id| by_id.get(&id)),
            None => table
                .cell(row, Column::Question)
                .and_then(|text| by_text.get(text)),
        };
        let Some(member) = member else {
            items.push(report(AnswerOutcome::UnknownQuestion, None));
            continue;
        };
        let id = Some(member.question_id);
        let Some(answer) = table.cell(row, Column::ModelAnswer) else {
            items.push(report(AnswerOutcome::EmptyAnswer, id));
            continue;
        };
        if !answered.insert(member.question_id) {
            items.push(report(AnswerOutcome::DuplicateAnswer, id));
            continue;
        }
        let verdict = detector.classify(answer);
        items.push(AnswerRow {
            refused: Some(verdict.refused),
            ..report(AnswerOutcome::Accepted, id)
        });
        recorded.push(Recorded {
            member: (member.question_id, member.revision),
            answer: answer.to_owned(),
            verdict,
        });
    }
    (items, recorded)
}

/// An answer with the member it answers, as pinned.
pub type AnswerWithQuestion = (test_answer::Model, question_set_member::Model);

/// A page of run `run_id`'s answers, by question id.
pub async fn answers(
    db: &DatabaseConnection,
    run_id: i64,
    page: PageRequest,
) -> Result<(Vec<AnswerWithQuestion>, Option<String>), ServiceError> {
    let run = get(db, run_id).await?;
    let (answers, next) = keyset_page(
        db,
        test_answer::Entity::find().filter(test_answer::Column::RunId.eq(run_id)),
        test_answer::Column::QuestionId,
        |answer| answer.question_id,
        page,
    )
    .await?;
    let mut members: HashMap<i64, question_set_member::Model> = question_set_member::Entity::find()
        .filter(question_set_member::Column::SetId.eq(run.set_id))
        .filter(
            question_set_member::Column::QuestionId.is_in(answers.iter().map(|a| a.question_id)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|member| (member.question_id, member))
        .collect();
    let paired = answers
        .into_iter()
        .filter_map(|answer| {
            let member = members.remove(&answer.question_id)?;
            Some((answer, member))
        })
        .collect();
    Ok((paired, next))
}
