//! A test run's report and workbook: each member of the run's set with what became of it
//! (its answer, the verdict that counts, and with the run's filter build whether the build
//! matches the question and the answer), handed to `run_report` with the chosen rule profile,
//! and to `export::run_workbook` for the filed layout.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::coverage::{self, CoverageError, ReportFormat};
use super::exports::{member_row, set_label};
use super::verdicts::{self, Judgment, JudgmentState, Suggestion};
use super::{AppState, ServiceError, blocking, builds, question_sets, test_runs};
use crate::coverage::rules::load_profiles;
use crate::domain::status::QuestionKind;
use crate::export::{self, Decider, RunLabel, RunRow};
use crate::run_report::{self, AnswerChanges, AnswerOutcome, MemberOutcome, RunReport, report};
use crate::store::entities::{question_set_member, test_answer};

/// Run `run_id`'s report against rule profile `profile_id`.
pub async fn of_run(
    state: &AppState,
    run_id: i64,
    profile_id: &str,
) -> Result<RunReport, ServiceError> {
    Ok(gather(state, run_id, profile_id).await?.report)
}

/// One side of a comparison: the run, its model and its report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComparedRun {
    pub run: i64,
    pub model_name: String,
    pub model_version: String,
    pub report: RunReport,
}

/// Two runs side by side: their reports against one profile, and the questions whose 合格
/// changed from the first to the second.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunComparison {
    pub first: ComparedRun,
    pub second: ComparedRun,
    pub changes: AnswerChanges,
}

/// Runs `first` and `second` compared against rule profile `profile_id` (the second is
/// usually the newer model version).
pub async fn compare(
    state: &AppState,
    (first, second): (i64, i64),
    profile_id: &str,
) -> Result<RunComparison, ServiceError> {
    let side = |run: i64, gathered: Gathered| ComparedRun {
        run,
        model_name: gathered.label.model_name,
        model_version: gathered.label.model_version,
        report: gathered.report,
    };
    let a = gather(state, first, profile_id).await?;
    let b = gather(state, second, profile_id).await?;
    let changes = run_report::compare(&a.members, &b.members);
    Ok(RunComparison {
        first: side(first, a),
        second: side(second, b),
        changes,
    })
}

/// Run `run_id`'s report and its workbook from one reading of the run (so they agree): what
/// a filing package holds of it.
pub async fn report_and_workbook(
    state: &AppState,
    run_id: i64,
    profile_id: &str,
) -> Result<(RunReport, Vec<u8>), ServiceError> {
    let Gathered {
        report,
        label,
        rows,
        ..
    } = gather(state, run_id, profile_id).await?;
    let taxonomy = state.taxonomy.clone();
    let rendered = report.clone();
    let workbook = blocking::off_workers(move || {
        export::run_workbook(&taxonomy, &label, &rows, &rendered).map_err(|e| e.to_string())
    })
    .await?
    .map_err(|message| ServiceError::Render(format!("run workbook: {message}")))?;
    Ok((report, workbook))
}

/// Run `run_id`'s report as a file: JSON, the figures as CSV, or the run workbook in the
/// filed layout (its summary with the figures and the rate rules, then one sheet per bank).
pub async fn report_file(
    state: &AppState,
    run_id: i64,
    profile_id: &str,
    format: ReportFormat,
) -> Result<Vec<u8>, ServiceError> {
    if format == ReportFormat::Xlsx {
        return Ok(report_and_workbook(state, run_id, profile_id).await?.1);
    }
    let report = of_run(state, run_id, profile_id).await?;
    blocking::off_workers(move || match format {
        ReportFormat::Csv => export::run_report_csv(&report).map_err(|e| e.to_string()),
        _ => serde_json::to_vec(&report).map_err(|e| e.to_string()),
    })
    .await?
    .map_err(|message| ServiceError::Render(format!("run report: {message}")))
}

/// What a run's report and workbook are made of.
struct Gathered {
    report: RunReport,
    label: RunLabel,
    rows: Vec<RunRow>,
    members: Vec<MemberOutcome>,
}

async fn gather(state: &AppState, run_id: i64, profile_id: &str) -> Result<Gathered, ServiceError> {
    let profiles =
        load_profiles(&state.taxonomy, &state.rule_profiles_dir).map_err(CoverageError::Profile)?;
    let profile = coverage::named(&profiles, profile_id)?.clone();
    let run = test_runs::get(&state.reads, run_id).await?;
    let (set, members) = question_sets::frozen(&state.reads, run.set_id).await?;
    let mut answers: HashMap<i64, test_answer::Model> = test_answer::Entity::find()
        .filter(test_answer::Column::RunId.eq(run_id))
        .all(&state.reads)
        .await?
        .into_iter()
        .map(|answer| (answer.question_id, answer))
        .collect();
    let mut verdicts = verdicts::by_question(&state.reads, run_id).await?;
    let judgments = verdicts::model_judgments(&state.reads, run_id, None).await?;
    let filter = match run.build_number {
        Some(number) => {
            Some(builds::filter(&state.build_environment(), &state.filters, number).await?)
        }
        None => None,
    };
    let label = RunLabel {
        set: set_label(&set),
        model_name: run.model_name.clone(),
        model_version: run.model_version.clone(),
        build: run.build_number,
    };
    let outcomes: Vec<(
        question_set_member::Model,
        Option<(test_answer::Model, Judgment)>,
    )> = members
        .into_iter()
        .map(|member| {
            let answered = answers.remove(&member.question_id).map(|answer| {
                let history = verdicts.remove(&member.question_id).unwrap_or_default();
                (answer, Judgment::of(run.judges, history))
            });
            (member, answered)
        })
        .collect();
    Ok(blocking::off_workers(move || {
        let mut members = Vec::with_capacity(outcomes.len());
        let mut rows = Vec::with_capacity(outcomes.len());
        for (member, answered) in outcomes {
            let outcome = answered.as_ref().map(|(answer, judgment)| {
                let judge = judgments.get(&member.question_id);
                let suggestion = Suggestion::of(&member, answer.refused, judge);
                let (refused, passed) = match &judgment.decided {
                    Some(verdict) => (verdict.refused, Some(verdict.passed)),
                    None => (suggestion.refused, suggestion.passed),
                };
                AnswerOutcome {
                    refused,
                    passed,
                    judged: judgment.decided.is_some(),
                    model_judged: judgment.decided.is_none()
                        && member.kind == QuestionKind::Generation
                        && judge.is_some_and(|j| j.passed.is_some()),
                    open: matches!(
                        judgment.state,
                        JudgmentState::AwaitingSecond | JudgmentState::Disagreed
                    ),
                    intercepted: filter
                        .as_ref()
                        .map(|filter| !filter.find(&answer.answer).is_empty()),
                }
            });
            members.push(MemberOutcome {
                question_id: member.question_id,
                kind: member.kind,
                risk: member.risk.clone(),
                aspect: member.aspect.clone(),
                expected_behavior: member.expected_behavior,
                question_intercepted: filter
                    .as_ref()
                    .map(|filter| !filter.find(&member.text).is_empty()),
                answer: outcome,
            });
            let decided_by = match outcome {
                None => Decider::Nobody,
                Some(o) if o.judged => Decider::Person,
                Some(o) if o.model_judged => Decider::JudgeModel,
                Some(_) => Decider::Rules,
            };
            let reason = match decided_by {
                Decider::Person => answered
                    .as_ref()
                    .and_then(|(_, judgment)| judgment.decided.as_ref())
                    .and_then(|verdict| verdict.reason.clone()),
                Decider::JudgeModel => judgments
                    .get(&member.question_id)
                    .and_then(|judge| judge.reason.clone()),
                Decider::Rules | Decider::Nobody => None,
            };
            rows.push(RunRow {
                decided_by,
                answer: answered.map(|(answer, _)| answer.answer),
                refused: outcome.map(|o| o.refused),
                passed: outcome.and_then(|o| o.passed),
                reason,
                question: member_row(member),
            });
        }
        Gathered {
            report: report(&members, &profile, filter.is_some()),
            label,
            rows,
            members,
        }
    })
    .await?)
}
