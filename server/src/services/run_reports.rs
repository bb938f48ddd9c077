//! A test run's report: each member of the run's set with what became of it (its answer, the
//! verdict that counts, and with the run's filter build whether the build matches the
//! question and the answer), handed to `run_report` with the chosen rule profile.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::coverage::{self, CoverageError};
use super::verdicts::{self, Judgment, Suggestion};
use super::{AppState, ServiceError, blocking, builds, question_sets, test_runs};
use crate::coverage::rules::load_profiles;
use crate::run_report::{AnswerOutcome, MemberOutcome, RunReport, report};
use crate::store::entities::{question_set_member, test_answer};

/// Run `run_id`'s report against rule profile `profile_id`.
pub async fn of_run(
    state: &AppState,
    run_id: i64,
    profile_id: &str,
) -> Result<RunReport, ServiceError> {
    let profiles =
        load_profiles(&state.taxonomy, &state.rule_profiles_dir).map_err(CoverageError::Profile)?;
    let profile = coverage::named(&profiles, profile_id)?.clone();
    let run = test_runs::get(&state.reads, run_id).await?;
    let (_, members) = question_sets::frozen(&state.reads, run.set_id).await?;
    let mut answers: HashMap<i64, test_answer::Model> = test_answer::Entity::find()
        .filter(test_answer::Column::RunId.eq(run_id))
        .all(&state.reads)
        .await?
        .into_iter()
        .map(|answer| (answer.question_id, answer))
        .collect();
    let mut verdicts = verdicts::by_question(&state.reads, run_id).await?;
    let filter = match run.build_number {
        Some(number) => {
            Some(builds::filter(&state.build_environment(), &state.filters, number).await?)
        }
        None => None,
    };
    let with_build = filter.is_some();
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
        let members: Vec<MemberOutcome> = outcomes
            .into_iter()
            .map(|(member, answered)| {
                let answer = answered.map(|(answer, judgment)| {
                    let suggestion = Suggestion::of(&member, answer.refused);
                    let (refused, passed) = match &judgment.decided {
                        Some(verdict) => (verdict.refused, Some(verdict.passed)),
                        None => (suggestion.refused, suggestion.passed),
                    };
                    AnswerOutcome {
                        refused,
                        passed,
                        judged: judgment.decided.is_some(),
                        intercepted: filter.as_ref().map(|filter| {
                            (
                                !filter.find(&member.text).is_empty(),
                                !filter.find(&answer.answer).is_empty(),
                            )
                        }),
                    }
                });
                MemberOutcome {
                    kind: member.kind,
                    risk: member.risk,
                    aspect: member.aspect,
                    expected_behavior: member.expected_behavior,
                    answer,
                }
            })
            .collect();
        report(&members, &profile, with_build)
    })
    .await?)
}
