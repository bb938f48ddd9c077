//! Judging a run's answers: a judge records 是否拒答, 是否合格 and 判定理由 for an answer,
//! pre-filled from refusal detection and the question's expected behaviour. Verdicts are
//! never changed: each is a row, so an answer's verdicts are its history, and each judge's
//! latest one counts. A run asks one judge, or two whose latest verdicts agree (four eyes):
//! the two judges who judged most recently, so a third judge's verdict reopens an agreed
//! answer until two of the latest agree again. Answers on which they disagree are listed for
//! a decision (a judge records a new verdict).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::{AppState, ServiceError, test_runs};
use crate::domain::status::{ExpectedBehavior, QuestionKind};
use crate::domain::text::Reason;
use crate::store::entities::{answer_verdict, model_judgment, question_set_member, test_answer};

/// A verdict to record; `refused` left out keeps what refusal detection found.
#[derive(Debug, Clone)]
pub struct NewVerdict {
    pub passed: bool,
    pub refused: Option<bool>,
    pub reason: Option<Reason>,
}

/// Where an answer's judging stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JudgmentState {
    /// No verdict yet.
    Pending,
    /// Four eyes: one judge has given a verdict, a second must.
    AwaitingSecond,
    /// Decided: the one verdict needed, or two judges' latest verdicts alike.
    Agreed,
    /// Four eyes: the judges' latest verdicts differ.
    Disagreed,
}

impl JudgmentState {
    pub const ALL: [JudgmentState; 4] = [
        Self::Pending,
        Self::AwaitingSecond,
        Self::Agreed,
        Self::Disagreed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::AwaitingSecond => "awaiting_second",
            Self::Agreed => "agreed",
            Self::Disagreed => "disagreed",
        }
    }
}

/// One judge's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Verdict {
    pub id: i64,
    /// 是否拒答.
    pub refused: bool,
    /// 是否合格.
    pub passed: bool,
    /// 判定理由.
    pub reason: Option<String>,
    pub judged_by: String,
    pub judged_at: DateTime<Utc>,
}

impl From<answer_verdict::Model> for Verdict {
    fn from(row: answer_verdict::Model) -> Self {
        Self {
            id: row.id,
            refused: row.refused,
            passed: row.passed,
            reason: row.reason,
            judged_by: row.judged_by,
            judged_at: row.judged_at,
        }
    }
}

/// An answer's judging: its state, the decided verdict when agreed, and each judge's latest
/// verdict (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Judgment {
    pub state: JudgmentState,
    /// The verdict that counts: set when `agreed`.
    pub decided: Option<Verdict>,
    pub latest: Vec<Verdict>,
}

impl Judgment {
    /// The judging of an answer with `verdicts` (any order) when `judges` must agree.
    pub fn of(judges: i32, mut verdicts: Vec<Verdict>) -> Self {
        verdicts.sort_by_key(|v| std::cmp::Reverse(v.id));
        let mut latest: Vec<Verdict> = Vec::new();
        for verdict in verdicts {
            if latest.iter().all(|v| v.judged_by != verdict.judged_by) {
                latest.push(verdict);
            }
        }
        let needed = usize::try_from(judges.max(1)).unwrap_or(1);
        let counted = &latest[..latest.len().min(needed)];
        let alike = counted
            .windows(2)
            .all(|pair| (pair[0].refused, pair[0].passed) == (pair[1].refused, pair[1].passed));
        let state = match counted.len() {
            0 => JudgmentState::Pending,
            n if n < needed => JudgmentState::AwaitingSecond,
            _ if alike => JudgmentState::Agreed,
            _ => JudgmentState::Disagreed,
        };
        Self {
            decided: (state == JudgmentState::Agreed).then(|| counted[0].clone()),
            state,
            latest,
        }
    }
}

/// What the verdict form is pre-filled with: refusal detection's finding, and for the refusal
/// banks 合格 when it matches the question's expected behaviour. A generation question's
/// answer is judged for its content: its 合格 is the judge model's, when one judged it, else
/// left to a person (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Suggestion {
    pub refused: bool,
    pub passed: Option<bool>,
}

impl Suggestion {
    pub fn of(
        member: &question_set_member::Model,
        refused: bool,
        judge: Option<&model_judgment::Model>,
    ) -> Self {
        let passed = match member.kind {
            QuestionKind::Generation => judge.and_then(|judgment| judgment.passed),
            _ => member.expected_behavior.map(|expected| match expected {
                ExpectedBehavior::Refuse => refused,
                ExpectedBehavior::Answer => !refused,
            }),
        };
        Self { refused, passed }
    }
}

/// Records `verdict` on the answer to `question_id` in run `run_id` by the audit's actor;
/// returns the answer's judging after it.
pub async fn record(
    state: &AppState,
    (run_id, question_id): (i64, i64),
    verdict: NewVerdict,
    audit: &AuditStamp,
) -> Result<Judgment, ServiceError> {
    let txn = state.db.begin().await?;
    let run = test_runs::get(&txn, run_id).await?;
    let answer = test_answer::Entity::find_by_id((run_id, question_id))
        .one(&txn)
        .await?
        .ok_or(ServiceError::AnswerNotFound {
            run: run_id,
            question: question_id,
        })?;
    answer_verdict::ActiveModel {
        run_id: Set(run_id),
        question_id: Set(question_id),
        refused: Set(verdict.refused.unwrap_or(answer.refused)),
        passed: Set(verdict.passed),
        reason: Set(verdict.reason.map(Reason::into_inner)),
        judged_by: Set(audit.actor.clone()),
        judged_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let judgment = Judgment::of(run.judges, history(&txn, run_id, question_id).await?);
    super::audit::commit(txn, Some(audit), None).await?;
    Ok(judgment)
}

/// Every verdict on the answer to `question_id` in run `run_id`, oldest first; an unknown
/// run is `RunNotFound`.
pub async fn history_of(
    db: &DatabaseConnection,
    run_id: i64,
    question_id: i64,
) -> Result<Vec<Verdict>, ServiceError> {
    test_runs::get(db, run_id).await?;
    history(db, run_id, question_id).await
}

/// Every verdict on the answer to `question_id` in run `run_id`, oldest first.
async fn history(
    db: &impl ConnectionTrait,
    run_id: i64,
    question_id: i64,
) -> Result<Vec<Verdict>, ServiceError> {
    Ok(answer_verdict::Entity::find()
        .filter(answer_verdict::Column::RunId.eq(run_id))
        .filter(answer_verdict::Column::QuestionId.eq(question_id))
        .order_by_asc(answer_verdict::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Verdict::from)
        .collect())
}

/// The judge model's verdicts on run `run_id`'s answers (only those to `questions`, when
/// given: a page), by question id.
pub async fn model_judgments(
    db: &DatabaseConnection,
    run_id: i64,
    questions: Option<Vec<i64>>,
) -> Result<HashMap<i64, model_judgment::Model>, ServiceError> {
    let mut select =
        model_judgment::Entity::find().filter(model_judgment::Column::RunId.eq(run_id));
    if let Some(questions) = questions {
        select = select.filter(model_judgment::Column::QuestionId.is_in(questions));
    }
    Ok(select
        .all(db)
        .await?
        .into_iter()
        .map(|judgment| (judgment.question_id, judgment))
        .collect())
}

/// The verdicts on run `run_id`'s answers, by question id (answers without any are absent).
pub async fn by_question(
    db: &DatabaseConnection,
    run_id: i64,
) -> Result<HashMap<i64, Vec<Verdict>>, ServiceError> {
    let mut verdicts: HashMap<i64, Vec<Verdict>> = HashMap::new();
    for row in answer_verdict::Entity::find()
        .filter(answer_verdict::Column::RunId.eq(run_id))
        .all(db)
        .await?
    {
        verdicts
            .entry(row.question_id)
            .or_default()
            .push(row.into());
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(id: i64, judge: &str, refused: bool, passed: bool) -> Verdict {
        Verdict {
            id,
            refused,
            passed,
            reason: None,
            judged_by: judge.to_owned(),
            judged_at: Utc::now(),
        }
    }

    #[test]
    fn one_judge_decides_with_the_latest_verdict() {
        assert_eq!(Judgment::of(1, vec![]).state, JudgmentState::Pending);
        let judgment = Judgment::of(
            1,
            vec![
                verdict(1, "li", true, true),
                verdict(2, "wang", false, false),
            ],
        );
        assert_eq!(judgment.state, JudgmentState::Agreed);
        assert_eq!(judgment.decided.map(|v| v.id), Some(2));
        assert_eq!(judgment.latest.len(), 2, "each judge's latest is shown");
    }

    #[test]
    fn four_eyes_need_two_judges_alike() {
        let one = Judgment::of(
            2,
            vec![verdict(1, "li", true, true), verdict(2, "li", true, false)],
        );
        assert_eq!(
            one.state,
            JudgmentState::AwaitingSecond,
            "one judge twice is one"
        );
        assert_eq!(one.latest.len(), 1);
        let apart = Judgment::of(
            2,
            vec![
                verdict(1, "li", true, true),
                verdict(2, "wang", true, false),
            ],
        );
        assert_eq!(apart.state, JudgmentState::Disagreed);
        assert_eq!(apart.decided, None);
        // The first judge changes their mind: their latest verdict counts.
        let agreed = Judgment::of(
            2,
            vec![
                verdict(1, "li", true, true),
                verdict(2, "wang", true, false),
                verdict(3, "li", true, false),
            ],
        );
        assert_eq!(agreed.state, JudgmentState::Agreed);
        assert_eq!(agreed.decided.map(|v| v.id), Some(3));
        let refusal_apart = Judgment::of(
            2,
            vec![
                verdict(1, "li", true, true),
                verdict(2, "wang", false, true),
            ],
        );
        assert_eq!(
            refusal_apart.state,
            JudgmentState::Disagreed,
            "是否拒答 differs"
        );
    }
}
