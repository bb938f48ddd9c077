//! Test runs: a frozen question set put to the model under filing. Each answer is recorded
//! once per run and question, at the revision the set pinned, with what refusal detection
//! makes of it; a re-run is a new run, so nothing recorded is ever overwritten.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use lexset_importers::columns::Column;
use lexset_importers::table::{Format, Table};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::page::{PageRequest, keyset_page};
use super::verdicts::{self, Judgment, JudgmentState, Suggestion};
use super::{AppState, ServiceError, blocking, builds, imports, question_sets};
use crate::domain::field_error::FieldError;
use crate::domain::test_run::{ModelEndpoint, ModelName, ModelVersion};
use crate::messages::msg;
use crate::refusal::{RefusalDetector, RefusalRule, RefusalVerdict};
use crate::store::entities::{
    model_judgment, question_set, question_set_member, test_answer, test_answer_error, test_run,
};

/// What a new run is of.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub set_id: i64,
    pub model_name: ModelName,
    pub model_version: ModelVersion,
    pub model_endpoint: Option<ModelEndpoint>,
    /// A published filter build the run is measured with.
    pub build: Option<i64>,
    /// Judges whose latest verdicts must agree: 1, or 2 (four eyes).
    pub judges: i32,
}

/// Starts a run of a live set; returns it with its counts (nothing answered yet). Refused:
/// an unknown or retired set, a build that is not published.
pub async fn create(
    state: &AppState,
    new: NewRun,
    audit: &AuditStamp,
) -> Result<(test_run::Model, RunCounts), ServiceError> {
    // Published is a build's last status: checking before the transaction is enough.
    if let Some(number) = new.build {
        builds::published(&state.reads, number).await?;
    }
    let txn = state.db.begin().await?;
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
        judges: Set(new.judges),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::commit(txn, Some(audit), Some(run.id)).await?;
    let counts = RunCounts {
        questions: u64::try_from(set.member_count).unwrap_or_default(),
        answered: 0,
        refused: 0,
        failed: 0,
    };
    Ok((run, counts))
}

/// How far a run has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RunCounts {
    /// Questions in the run's set.
    pub questions: u64,
    /// Questions answered so far.
    pub answered: u64,
    /// Answers refusal detection found refusing.
    pub refused: u64,
    /// Unanswered questions a model call failed to get an answer to (`GET
    /// /v1/test-runs/{id}/errors`); a next call asks them again.
    pub failed: u64,
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
    let mut counted = counted(db, vec![run]).await?;
    counted.pop().ok_or(ServiceError::RunNotFound(id))
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
    Ok((counted(db, runs).await?, next))
}

/// `runs` with their counts: three grouped queries, whatever the number of runs.
async fn counted(
    db: &DatabaseConnection,
    runs: Vec<test_run::Model>,
) -> Result<Vec<(test_run::Model, RunCounts)>, ServiceError> {
    let set_sizes: HashMap<i64, i64> = question_set::Entity::find()
        .select_only()
        .column(question_set::Column::Id)
        .column(question_set::Column::MemberCount)
        .filter(question_set::Column::Id.is_in(runs.iter().map(|run| run.set_id)))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let refused: Expr = Func::count(Expr::case(
        Expr::col(test_answer::Column::Refused).eq(true),
        1,
    ))
    .into();
    let answers: HashMap<i64, (i64, i64)> = test_answer::Entity::find()
        .select_only()
        .column(test_answer::Column::RunId)
        .column_as(
            Expr::from(Func::count(Expr::col(test_answer::Column::RunId))),
            "answered",
        )
        .column_as(refused, "refused")
        .filter(test_answer::Column::RunId.is_in(runs.iter().map(|run| run.id)))
        .group_by(test_answer::Column::RunId)
        .into_tuple::<(i64, i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(run, answered, refused)| (run, (answered, refused)))
        .collect();
    let failed: HashMap<i64, i64> = test_answer_error::Entity::find()
        .select_only()
        .column(test_answer_error::Column::RunId)
        .column_as(
            Expr::from(Func::count(Expr::col(test_answer_error::Column::RunId))),
            "failed",
        )
        .filter(test_answer_error::Column::RunId.is_in(runs.iter().map(|run| run.id)))
        .group_by(test_answer_error::Column::RunId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    Ok(runs
        .into_iter()
        .map(|run| {
            let (answered, refused) = answers.get(&run.id).copied().unwrap_or_default();
            let counts = RunCounts {
                questions: count(set_sizes.get(&run.set_id).copied().unwrap_or_default()),
                answered: count(answered),
                refused: count(refused),
                failed: count(failed.get(&run.id).copied().unwrap_or_default()),
            };
            (run, counts)
        })
        .collect())
}

/// What became of one row of an answers file (the outcomes of an import's rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerOutcome {
    /// Recorded.
    Accepted,
    /// The question has an answer already: earlier in the file (`duplicate_of_line`), or
    /// recorded by an earlier upload.
    Duplicate,
    /// Not recorded, for the `reason` given.
    Invalid,
}

/// Why a row was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerProblem {
    /// The row names no question of the run's set (by id, or by the exact text pinned).
    UnknownQuestion,
    /// The question id is not a whole number.
    InvalidQuestionId,
    /// Several members of the set have this text: name the question by id.
    AmbiguousQuestion,
    /// The id names a member whose pinned text differs from the row's question text.
    QuestionMismatch,
    /// The answer cell is empty.
    Empty,
    /// The row could not be read (a malformed CSV or JSON line): see `message`.
    Malformed,
}

/// One row of an answers file and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnswerRow {
    /// Line (or sheet row) of the file.
    pub line: usize,
    pub outcome: AnswerOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<AnswerProblem>,
    /// What the reader made of a malformed row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<i64>,
    /// The earlier row of the file that answers the same question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of_line: Option<usize>,
    /// For accepted rows: whether refusal detection found the answer refusing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<bool>,
}

/// What an answers upload recorded.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnswerReport {
    pub run: i64,
    pub accepted: usize,
    pub duplicates: usize,
    pub invalid: usize,
    /// Accepted answers found refusing.
    pub refused: usize,
    pub items: Vec<AnswerRow>,
}

/// An answer to record: the member it answers and what refusal detection made of it.
pub(super) struct Recorded {
    pub question_id: i64,
    /// The member's pinned revision.
    pub revision: i32,
    pub answer: String,
    pub verdict: RefusalVerdict,
    /// For an answer a model call asked for.
    pub measures: Option<CallMeasures>,
}

/// How a model call got an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallMeasures {
    #[serde(rename = "call")]
    pub call_id: i64,
    /// Time to the answer, of the attempt that got it.
    pub latency_ms: i64,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// Requests it took (1 without retries).
    pub attempts: i32,
}

impl CallMeasures {
    fn of(answer: &test_answer::Model) -> Option<Self> {
        Some(Self {
            call_id: answer.call_id?,
            latency_ms: answer.latency_ms.unwrap_or_default(),
            prompt_tokens: answer.prompt_tokens,
            completion_tokens: answer.completion_tokens,
            attempts: answer.attempts.unwrap_or(1),
        })
    }
}

/// Records the answers of an uploaded file (CSV, JSONL, JSON, or one sheet of an XLSX
/// workbook: `sheet`, else the first whose header names a question column) to run `run_id`.
/// The header names the model's answer (模型回答 / answer …) and the question, by
/// `question_id` (题目编号) or by the exact text the set pinned (题目 / 问题 …). Rows that name
/// no member, repeat a question, or carry no answer are reported and not stored; the others
/// are stored in one transaction with their refusal verdicts. A question answered by a
/// concurrent upload meanwhile refuses the whole upload (`409`), nothing stored.
pub async fn record_answers(
    state: &AppState,
    run_id: i64,
    bytes: Vec<u8>,
    (format, sheet): (Option<Format>, Option<String>),
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
    let detector = state.refusals.detector();
    let (items, recorded) = blocking::off_workers(move || {
        let format = format.unwrap_or_else(|| Format::sniff(&bytes));
        let table = imports::read_table(&bytes, format, sheet.as_deref())?;
        check_columns(&table)?;
        Ok::<_, ServiceError>(match_rows(&table, &members, answered, &detector))
    })
    .await??;
    let refused = recorded.iter().filter(|r| r.verdict.refused).count();
    let accepted = recorded.len();
    let txn = state.db.begin().await?;
    if insert_answers(&txn, run_id, &recorded, &audit.actor).await? != accepted as u64 {
        return Err(ServiceError::AnswersRaced(run_id));
    }
    // A model call's failure on a question answered now is no longer current.
    for chunk in recorded.chunks(INSERT_CHUNK) {
        test_answer_error::Entity::delete_many()
            .filter(test_answer_error::Column::RunId.eq(run_id))
            .filter(
                test_answer_error::Column::QuestionId.is_in(chunk.iter().map(|r| r.question_id)),
            )
            .exec(&txn)
            .await?;
    }
    super::audit::commit(txn, Some(audit), None).await?;
    let count = |outcome| items.iter().filter(|row| row.outcome == outcome).count();
    Ok(AnswerReport {
        run: run_id,
        accepted,
        duplicates: count(AnswerOutcome::Duplicate),
        invalid: count(AnswerOutcome::Invalid),
        refused,
        items,
    })
}

/// Answers inserted per statement (14 columns: well under SQLite's 32 766 variables).
const INSERT_CHUNK: usize = 500;

/// Inserts the `recorded` answers of run `run_id` that are not recorded yet, by `actor`;
/// returns how many it inserted.
pub(super) async fn insert_answers(
    txn: &impl ConnectionTrait,
    run_id: i64,
    recorded: &[Recorded],
    actor: &str,
) -> Result<u64, DbErr> {
    let now = Utc::now();
    let mut inserted = 0;
    for chunk in recorded.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|r| test_answer::ActiveModel {
            run_id: Set(run_id),
            question_id: Set(r.question_id),
            revision: Set(r.revision),
            answer: Set(r.answer.clone()),
            refused: Set(r.verdict.refused),
            refusal_rule: Set(r.verdict.rule.as_str().to_owned()),
            refusal_evidence: Set(r
                .verdict
                .evidence
                .as_ref()
                .and_then(|e| serde_json::to_string(e).ok())),
            refusal_confidence: Set(r.verdict.confidence),
            call_id: Set(r.measures.map(|m| m.call_id)),
            latency_ms: Set(r.measures.map(|m| m.latency_ms)),
            prompt_tokens: Set(r.measures.and_then(|m| m.prompt_tokens)),
            completion_tokens: Set(r.measures.and_then(|m| m.completion_tokens)),
            attempts: Set(r.measures.map(|m| m.attempts)),
            recorded_by: Set(actor.to_owned()),
            recorded_at: Set(now),
        });
        inserted += test_answer::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([test_answer::Column::RunId, test_answer::Column::QuestionId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(inserted)
}

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
    recorded_before: HashSet<i64>,
    detector: &RefusalDetector,
) -> (Vec<AnswerRow>, Vec<Recorded>) {
    let by_id: HashMap<i64, &question_set_member::Model> =
        members.iter().map(|m| (m.question_id, m)).collect();
    // `None`: several members have the text.
    let mut by_text: HashMap<&str, Option<&question_set_member::Model>> = HashMap::new();
    for member in members {
        by_text
            .entry(member.text.trim())
            .and_modify(|found| *found = None)
            .or_insert(Some(member));
    }
    let mut first_line: HashMap<i64, usize> = HashMap::new();
    let mut items = Vec::with_capacity(table.rows.len());
    let mut recorded = Vec::new();
    for row in &table.rows {
        let blank = AnswerRow {
            line: row.line,
            outcome: AnswerOutcome::Invalid,
            reason: None,
            message: None,
            question_id: None,
            duplicate_of_line: None,
            refused: None,
        };
        let invalid = |reason, question_id| AnswerRow {
            reason: Some(reason),
            question_id,
            ..blank.clone()
        };
        if let Some(why) = &row.malformed {
            items.push(AnswerRow {
                message: Some(why.clone()),
                ..invalid(AnswerProblem::Malformed, None)
            });
            continue;
        }
        let text = table.cell(row, Column::Question);
        let member = match table.cell(row, Column::QuestionId) {
            Some(raw) => match raw.parse::<i64>() {
                Err(_) => Err(AnswerProblem::InvalidQuestionId),
                Ok(id) => match by_id.get(&id) {
                    None => Err(AnswerProblem::UnknownQuestion),
                    Some(member) if text.is_some_and(|t| t != member.text.trim()) => {
                        Err(AnswerProblem::QuestionMismatch)
                    }
                    Some(member) => Ok(*member),
                },
            },
            None => match text.map(|t| by_text.get(t)) {
                Some(Some(Some(member))) => Ok(*member),
                Some(Some(None)) => Err(AnswerProblem::AmbiguousQuestion),
                _ => Err(AnswerProblem::UnknownQuestion),
            },
        };
        let member = match member {
            Ok(member) => member,
            Err(problem) => {
                items.push(invalid(problem, None));
                continue;
            }
        };
        let id = Some(member.question_id);
        let Some(answer) = table.cell(row, Column::ModelAnswer) else {
            items.push(invalid(AnswerProblem::Empty, id));
            continue;
        };
        if recorded_before.contains(&member.question_id) {
            items.push(AnswerRow {
                outcome: AnswerOutcome::Duplicate,
                question_id: id,
                ..blank
            });
            continue;
        }
        if let Some(&line) = first_line.get(&member.question_id) {
            items.push(AnswerRow {
                outcome: AnswerOutcome::Duplicate,
                question_id: id,
                duplicate_of_line: Some(line),
                ..blank
            });
            continue;
        }
        first_line.insert(member.question_id, row.line);
        let verdict = detector.classify(answer);
        items.push(AnswerRow {
            outcome: AnswerOutcome::Accepted,
            question_id: id,
            refused: Some(verdict.refused),
            ..blank
        });
        recorded.push(Recorded {
            question_id: member.question_id,
            revision: member.revision,
            answer: answer.to_owned(),
            verdict,
            measures: None,
        });
    }
    (items, recorded)
}

/// A recorded answer, the member it answers as pinned, and its refusal verdict.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub answer: test_answer::Model,
    pub member: question_set_member::Model,
    pub verdict: RefusalVerdict,
    /// How a model call got it; `None` for an uploaded answer.
    pub measures: Option<CallMeasures>,
    /// What the verdict form is pre-filled with.
    pub suggestion: Suggestion,
    /// A judge model's verdict, if a judge call judged the answer.
    pub model_judgment: Option<model_judgment::Model>,
    pub judgment: Judgment,
}

/// A page of run `run_id`'s answers, by question id, each with its judging; only those in
/// judging state `only` when given (the judging queue: `pending`, `disagreed`, …).
pub async fn answers(
    db: &DatabaseConnection,
    run_id: i64,
    page: PageRequest,
    only: Option<JudgmentState>,
) -> Result<(Vec<StoredAnswer>, Option<String>), ServiceError> {
    let run = get(db, run_id).await?;
    let mut verdicts = verdicts::by_question(db, run_id).await?;
    let answered = test_answer::Entity::find().filter(test_answer::Column::RunId.eq(run_id));
    let (answers, next) = match only {
        None => {
            keyset_page(
                db,
                answered,
                test_answer::Column::QuestionId,
                |answer| answer.question_id,
                page,
            )
            .await?
        }
        Some(wanted) => {
            // The state comes from the verdicts, not a column: pick the page's ids here.
            let in_state = |id: &i64| {
                let history = verdicts.get(id).cloned().unwrap_or_default();
                Judgment::of(run.judges, history).state == wanted
            };
            let ids: Vec<i64> = answered
                .clone()
                .select_only()
                .column(test_answer::Column::QuestionId)
                .filter(test_answer::Column::QuestionId.gt(page.after))
                .order_by_asc(test_answer::Column::QuestionId)
                .into_tuple::<i64>()
                .all(db)
                .await?
                .into_iter()
                .filter(in_state)
                .take(
                    usize::try_from(page.limit)
                        .unwrap_or(usize::MAX)
                        .saturating_add(1),
                )
                .collect();
            let more = ids.len() as u64 > page.limit;
            let ids = &ids[..ids
                .len()
                .min(usize::try_from(page.limit).unwrap_or(usize::MAX))];
            let answers = answered
                .filter(test_answer::Column::QuestionId.is_in(ids.iter().copied()))
                .order_by_asc(test_answer::Column::QuestionId)
                .all(db)
                .await?;
            let next = more
                .then(|| ids.last().map(|&id| super::page::cursor_after(id)))
                .flatten();
            (answers, next)
        }
    };
    let page_ids = answers.iter().map(|a| a.question_id).collect();
    let mut judgments = verdicts::model_judgments(db, run_id, Some(page_ids)).await?;
    let mut judgment_of =
        |id: i64| Judgment::of(run.judges, verdicts.remove(&id).unwrap_or_default());
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
    let mut stored = Vec::with_capacity(answers.len());
    for answer in answers {
        let member = members.remove(&answer.question_id).ok_or_else(|| {
            DbErr::RecordNotFound(format!(
                "member {} of set {} answered in run {run_id}",
                answer.question_id, run.set_id
            ))
        })?;
        let verdict = stored_verdict(&answer)?;
        stored.push(StoredAnswer {
            measures: CallMeasures::of(&answer),
            suggestion: Suggestion::of(&member, answer.refused, judgments.get(&answer.question_id)),
            model_judgment: judgments.remove(&answer.question_id),
            judgment: judgment_of(answer.question_id),
            answer,
            member,
            verdict,
        });
    }
    Ok((stored, next))
}

/// The verdict as `record_answers` stored it.
fn stored_verdict(answer: &test_answer::Model) -> Result<RefusalVerdict, DbErr> {
    let corrupt = |what: &str| {
        DbErr::Custom(format!(
            "answer to question {} of run {}: stored {what} unreadable",
            answer.question_id, answer.run_id
        ))
    };
    Ok(RefusalVerdict {
        refused: answer.refused,
        rule: RefusalRule::parse(&answer.refusal_rule).ok_or_else(|| corrupt("refusal rule"))?,
        evidence: answer
            .refusal_evidence
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("refusal evidence"))?,
        confidence: answer.refusal_confidence,
    })
}
