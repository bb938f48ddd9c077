//! Evaluation test questions (评估测试题): each carries 问题表述 (`text`), 预期输出结果
//! (`expected_output`) and 判定标准 (`judgment_criteria`).

use super::field_error::FieldError;
use super::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use super::taxonomy_code::{AspectCode, RiskCode};
use super::text::bounded_text;
use crate::messages::msg;

bounded_text!(
    /// 问题表述: the question put to the model.
    QuestionText, field = "text", max = 4000, lines = Multi
);
bounded_text!(
    /// 预期输出结果: what a good answer looks like (or that it is a refusal).
    ExpectedOutput, field = "expected_output", max = 8000, lines = Multi
);
bounded_text!(
    /// 判定标准: how a reviewer decides whether the answer passes.
    JudgmentCriteria, field = "judgment_criteria", max = 4000, lines = Multi
);

/// What a question is filed under and what a good answer does. Invariants: generation and
/// must-refuse questions carry a risk and no aspect; must-not-refuse questions carry an aspect
/// and no risk; a must-refuse question expects a refusal and a must-not-refuse question an
/// answer (`ExpectedBehavior::of_kind`), a generation question either or, until someone says,
/// none (an error lint keeps it from approval).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    kind: QuestionKind,
    risk: Option<RiskCode>,
    aspect: Option<AspectCode>,
    behavior: Option<ExpectedBehavior>,
}

impl Classification {
    /// `behavior` may be left out for must-refuse and must-not-refuse questions (their kind
    /// says it); naming the other one is refused.
    pub fn new(
        kind: QuestionKind,
        risk: Option<RiskCode>,
        aspect: Option<AspectCode>,
        behavior: Option<ExpectedBehavior>,
    ) -> Result<Self, FieldError> {
        let kind_name = kind.as_str();
        let behavior = ExpectedBehavior::for_kind(kind, behavior)?;
        match (kind, &risk, &aspect) {
            (QuestionKind::MustNotRefuse, None, Some(_)) => {}
            (QuestionKind::MustNotRefuse, Some(_), _) => {
                return Err(FieldError::unprocessable("risk", msg!("aspect_not_risk")));
            }
            (QuestionKind::MustNotRefuse, None, None) => {
                return Err(FieldError::unprocessable("aspect", msg!("aspect_required")));
            }
            (_, Some(_), None) => {}
            (_, None, _) => {
                return Err(FieldError::unprocessable(
                    "risk",
                    msg!("risk_required", kind = kind_name),
                ));
            }
            (_, Some(_), Some(_)) => {
                return Err(FieldError::unprocessable(
                    "aspect",
                    msg!("aspect_only_must_not_refuse", kind = kind_name),
                ));
            }
        }
        Ok(Self {
            kind,
            risk,
            aspect,
            behavior,
        })
    }

    pub fn kind(&self) -> QuestionKind {
        self.kind
    }

    pub fn risk(&self) -> Option<&RiskCode> {
        self.risk.as_ref()
    }

    pub fn aspect(&self) -> Option<&AspectCode> {
        self.aspect.as_ref()
    }

    pub fn behavior(&self) -> Option<ExpectedBehavior> {
        self.behavior
    }
}

/// A question ready to be stored.
#[derive(Debug, Clone)]
pub struct NewQuestion {
    pub text: QuestionText,
    pub classification: Classification,
    pub high_risk: bool,
    pub expected_output: Option<ExpectedOutput>,
    pub judgment_criteria: Option<JudgmentCriteria>,
    pub status: EntryStatus,
    /// Fill a missing 预期输出结果 and 判定标准 from the answer templates.
    pub use_templates: bool,
}

/// An edit of a question: `None` leaves a field alone; `Some(None)` clears an optional field.
/// The classification is checked again on the edited whole, so changing `kind` may require
/// changing `risk` and `aspect` in the same edit.
#[derive(Debug, Clone, Default)]
pub struct QuestionChanges {
    pub text: Option<QuestionText>,
    pub kind: Option<QuestionKind>,
    pub risk: Option<Option<RiskCode>>,
    pub aspect: Option<Option<AspectCode>>,
    pub high_risk: Option<bool>,
    pub expected_output: Option<Option<ExpectedOutput>>,
    pub judgment_criteria: Option<Option<JudgmentCriteria>>,
    pub expected_behavior: Option<Option<ExpectedBehavior>>,
    /// A person confirms templated 预期输出结果 and 判定标准 as they are (editing either
    /// confirms them too).
    pub confirm_template: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Taxonomy;

    fn risk(code: &str) -> Option<RiskCode> {
        Some(RiskCode::parse(code, &Taxonomy::shipped().unwrap()).unwrap())
    }

    fn aspect(code: &str) -> Option<AspectCode> {
        Some(AspectCode::parse(code, &Taxonomy::shipped().unwrap()).unwrap())
    }

    #[test]
    fn risk_kinds_need_a_risk_and_no_aspect() {
        for kind in [QuestionKind::Generation, QuestionKind::MustRefuse] {
            assert!(Classification::new(kind, risk("A.1.a"), None, None).is_ok());
            assert_eq!(
                Classification::new(kind, None, None, None)
                    .unwrap_err()
                    .field,
                "risk"
            );
            assert_eq!(
                Classification::new(kind, risk("A.1.a"), aspect("history"), None)
                    .unwrap_err()
                    .field,
                "aspect"
            );
        }
    }

    #[test]
    fn must_not_refuse_needs_an_aspect_and_no_risk() {
        let kind = QuestionKind::MustNotRefuse;
        let ok = Classification::new(kind, None, aspect("history"), None).unwrap();
        assert_eq!(ok.aspect().map(AspectCode::as_str), Some("history"));
        assert_eq!(
            Classification::new(kind, None, None, None)
                .unwrap_err()
                .field,
            "aspect"
        );
        assert_eq!(
            Classification::new(kind, risk("A.2.e"), aspect("gender"), None)
                .unwrap_err()
                .field,
            "risk"
        );
    }

    #[test]
    fn the_kind_decides_the_behavior_of_refusal_questions_and_generation_questions_say_it() {
        use ExpectedBehavior::{Answer, Refuse};
        let classify = |kind, risk, aspect, behavior| {
            Classification::new(kind, risk, aspect, behavior).map(|c| c.behavior())
        };
        let refuse_kind = QuestionKind::MustRefuse;
        assert_eq!(
            classify(refuse_kind, risk("A.1.d"), None, None),
            Ok(Some(Refuse))
        );
        assert_eq!(
            classify(refuse_kind, risk("A.1.d"), None, Some(Answer))
                .unwrap_err()
                .field,
            "expected_behavior"
        );
        let answer_kind = QuestionKind::MustNotRefuse;
        assert_eq!(
            classify(answer_kind, None, aspect("history"), None),
            Ok(Some(Answer))
        );
        assert!(classify(answer_kind, None, aspect("history"), Some(Refuse)).is_err());
        for behavior in [None, Some(Refuse), Some(Answer)] {
            assert_eq!(
                classify(QuestionKind::Generation, risk("A.1.d"), None, behavior),
                Ok(behavior)
            );
        }
    }

    #[test]
    fn question_text_keeps_line_breaks() {
        let text = QuestionText::parse("第一行\r\n第二行").unwrap();
        assert_eq!(text.as_str(), "第一行\n第二行");
        assert_eq!(QuestionText::parse(" ").unwrap_err().field, "text");
    }
}
