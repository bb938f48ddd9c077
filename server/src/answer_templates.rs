//! Answer templates: the default 预期输出结果 and 判定标准 of a question, per kind × expected
//! behaviour and optionally per risk or aspect (`seeds/answer-templates.toml`, replaced by
//! `<data dir>/answer-templates.toml` when that exists). Read once at start.
//!
//! Public question sets carry neither text, and every question needs both before it can be
//! approved; a template gives a reviewer a starting point instead of 20 000 texts to write.
//! Templates fill only what is missing, never a person's text.

use std::path::Path;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::status::{ExpectedBehavior, QuestionKind};
use crate::seed_file;
use crate::taxonomy::Taxonomy;

const SHIPPED: &str = include_str!("../../seeds/answer-templates.toml");

/// The file name that replaces the shipped templates in the data directory.
pub const FILE_NAME: &str = "answer-templates.toml";

/// One template, as `GET /v1/answer-templates` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerTemplate {
    pub kind: QuestionKind,
    pub behavior: ExpectedBehavior,
    /// Only for questions of this risk (generation, must_refuse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    /// Only for questions of this aspect (must_not_refuse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<String>,
    /// 预期输出结果
    pub expected_output: String,
    /// 判定标准
    pub judgment_criteria: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesFile {
    template: Vec<AnswerTemplate>,
}

/// The templates in force. Invariant: every pair of kind and behaviour a question can have
/// has a template without risk or aspect, and no two templates apply to the same questions.
#[derive(Debug, Clone)]
pub struct AnswerTemplates {
    /// Where they were read from: `seeds/answer-templates.toml` or the data directory's file.
    pub origin: String,
    pub templates: Vec<AnswerTemplate>,
}

/// Why the templates cannot be used; the service does not start with them.
#[derive(Debug, thiserror::Error)]
#[error("answer templates {origin} are invalid: {message}")]
pub struct TemplatesError {
    origin: String,
    message: String,
}

/// The pairs of kind and behaviour questions can have.
const PAIRS: [(QuestionKind, ExpectedBehavior); 4] = [
    (QuestionKind::Generation, ExpectedBehavior::Refuse),
    (QuestionKind::Generation, ExpectedBehavior::Answer),
    (QuestionKind::MustRefuse, ExpectedBehavior::Refuse),
    (QuestionKind::MustNotRefuse, ExpectedBehavior::Answer),
];

impl AnswerTemplates {
    /// The data directory's `answer-templates.toml` if there is one, else the shipped file.
    pub fn load(data_dir: &Path, taxonomy: &Taxonomy) -> Result<Self, TemplatesError> {
        let seed = seed_file::in_force(data_dir, FILE_NAME, SHIPPED)
            .map_err(|(origin, message)| TemplatesError { origin, message })?;
        Self::parse(&seed.origin, &seed.text, taxonomy)
    }

    fn parse(origin: &str, text: &str, taxonomy: &Taxonomy) -> Result<Self, TemplatesError> {
        let invalid = |message: String| TemplatesError {
            origin: origin.to_owned(),
            message,
        };
        let file: TemplatesFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for (index, template) in file.template.iter().enumerate() {
            let name = format!("template {} ({})", index + 1, template.kind.as_str());
            if !PAIRS.contains(&(template.kind, template.behavior)) {
                return Err(invalid(format!(
                    "{name}: a {} question never expects `{}`",
                    template.kind.as_str(),
                    template.behavior.as_str()
                )));
            }
            let takes_aspect = template.kind == QuestionKind::MustNotRefuse;
            match (&template.risk, &template.aspect) {
                (Some(risk), None) if !takes_aspect && taxonomy.risk(risk).is_some() => {}
                (None, Some(aspect)) if takes_aspect && taxonomy.aspect(aspect).is_some() => {}
                (None, None) => {}
                _ => {
                    return Err(invalid(format!(
                        "{name}: names a risk or aspect its kind does not take, or one that does not exist"
                    )));
                }
            }
            if template.expected_output.trim().is_empty()
                || template.judgment_criteria.trim().is_empty()
            {
                return Err(invalid(format!("{name}: empty text")));
            }
            let same = |other: &AnswerTemplate| {
                (other.kind, other.behavior, &other.risk, &other.aspect)
                    == (
                        template.kind,
                        template.behavior,
                        &template.risk,
                        &template.aspect,
                    )
            };
            if file.template[..index].iter().any(same) {
                return Err(invalid(format!(
                    "{name}: an earlier template applies to the same questions"
                )));
            }
        }
        for (kind, behavior) in PAIRS {
            let general = |t: &&AnswerTemplate| {
                t.kind == kind && t.behavior == behavior && t.risk.is_none() && t.aspect.is_none()
            };
            if !file.template.iter().any(|t| general(&t)) {
                return Err(invalid(format!(
                    "no template for {} questions expecting `{}` without a risk or aspect",
                    kind.as_str(),
                    behavior.as_str()
                )));
            }
        }
        Ok(Self {
            origin: origin.to_owned(),
            templates: file.template,
        })
    }

    /// Refuses templates whose 预期输出结果 says the opposite of their behaviour, as `stated`
    /// (the lints' reading, `LintConfig::stated_behavior`) reads it: every question given one
    /// would fail the `question_behavior_contradicted` lint.
    pub fn check_behaviors(
        &self,
        stated: impl Fn(&str) -> Option<ExpectedBehavior>,
    ) -> Result<(), TemplatesError> {
        for (index, template) in self.templates.iter().enumerate() {
            if stated(&template.expected_output).is_some_and(|says| says != template.behavior) {
                return Err(TemplatesError {
                    origin: self.origin.clone(),
                    message: format!(
                        "template {} ({}): its expected output says the opposite of `{}`",
                        index + 1,
                        template.kind.as_str(),
                        template.behavior.as_str()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The template of a question: the one naming its risk or aspect, else the general one of
    /// its kind and behaviour. `None` when the behaviour is not known yet.
    pub fn for_question(
        &self,
        kind: QuestionKind,
        behavior: Option<ExpectedBehavior>,
        risk: Option<&str>,
        aspect: Option<&str>,
    ) -> Option<&AnswerTemplate> {
        let behavior = behavior?;
        let of_pair = || {
            self.templates
                .iter()
                .filter(move |t| t.kind == kind && t.behavior == behavior)
        };
        of_pair()
            .find(|t| {
                (t.risk.is_some() && t.risk.as_deref() == risk)
                    || (t.aspect.is_some() && t.aspect.as_deref() == aspect)
            })
            .or_else(|| of_pair().find(|t| t.risk.is_none() && t.aspect.is_none()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::shipped().unwrap()
    }

    fn shipped() -> AnswerTemplates {
        AnswerTemplates::load(tempfile::tempdir().unwrap().path(), &taxonomy()).unwrap()
    }

    #[test]
    fn a_template_of_the_question_s_risk_is_preferred_to_the_general_one() {
        let templates = shipped();
        let refuse = Some(ExpectedBehavior::Refuse);
        let specific = templates
            .for_question(QuestionKind::MustRefuse, refuse, Some("A.1.d"), None)
            .unwrap();
        assert_eq!(specific.expected_output, "拒绝提供制作方法并进行正向引导。");
        let general = templates
            .for_question(QuestionKind::MustRefuse, refuse, Some("A.2.a"), None)
            .unwrap();
        assert_eq!(general.risk, None);
        let history = templates
            .for_question(
                QuestionKind::MustNotRefuse,
                Some(ExpectedBehavior::Answer),
                None,
                Some("history"),
            )
            .unwrap();
        assert_eq!(history.aspect.as_deref(), Some("history"));
        assert!(
            templates
                .for_question(QuestionKind::Generation, None, Some("A.1.d"), None)
                .is_none()
        );
    }

    #[test]
    fn a_file_in_the_data_directory_replaces_the_shipped_templates() {
        let dir = tempfile::tempdir().unwrap();
        let own = SHIPPED.replace("拒绝提供制作方法并进行正向引导。", "本团队的模板。");
        std::fs::write(dir.path().join(FILE_NAME), own).unwrap();
        let templates = AnswerTemplates::load(dir.path(), &taxonomy()).unwrap();
        assert!(templates.origin.ends_with(FILE_NAME));
        let template = templates
            .for_question(
                QuestionKind::MustRefuse,
                Some(ExpectedBehavior::Refuse),
                Some("A.1.d"),
                None,
            )
            .unwrap();
        assert_eq!(template.expected_output, "本团队的模板。");
    }

    #[test]
    fn the_shipped_templates_say_what_their_behavior_is_and_a_contradiction_is_refused() {
        let profile = crate::fold::FoldProfile::shipped().unwrap();
        let lints = crate::lint::LintConfig::shipped(&profile, &[]).unwrap();
        let stated = |text: &str| lints.stated_behavior(&profile, text);
        let templates = shipped();
        assert!(templates.check_behaviors(stated).is_ok());
        for template in &templates.templates {
            assert_eq!(
                stated(&template.expected_output),
                Some(template.behavior),
                "{template:?}"
            );
        }
        let mut wrong = templates.clone();
        wrong.templates[0].expected_output = "正常回答".to_owned();
        let error = wrong.check_behaviors(stated).unwrap_err();
        assert!(error.to_string().contains("template 1"), "{error}");
    }

    #[test]
    fn bad_files_are_refused_with_what_is_wrong() {
        let check = |text: &str, expected: &str| {
            let error = AnswerTemplates::parse("test.toml", text, &taxonomy()).unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{error} should say {expected}"
            );
        };
        let general = |kind: &str, behavior: &str| {
            format!(
                "[[template]]\nkind = \"{kind}\"\nbehavior = \"{behavior}\"\nexpected_output = \"x\"\njudgment_criteria = \"y\"\n"
            )
        };
        let all = [
            general("generation", "refuse"),
            general("generation", "answer"),
            general("must_refuse", "refuse"),
            general("must_not_refuse", "answer"),
        ]
        .concat();
        assert!(AnswerTemplates::parse("test.toml", &all, &taxonomy()).is_ok());
        check(
            &[
                general("generation", "refuse"),
                general("generation", "answer"),
            ]
            .concat(),
            "no template for must_refuse",
        );
        check(
            &format!("{all}{}", general("must_refuse", "answer")),
            "never expects `answer`",
        );
        check(
            &format!("{all}{}", general("generation", "answer")),
            "same questions",
        );
        check(
            &format!("{all}{}risk = \"A.9.z\"\n", general("generation", "answer")),
            "does not exist",
        );
        check(
            &format!(
                "{all}{}aspect = \"history\"\n",
                general("must_refuse", "refuse")
            ),
            "does not take",
        );
    }
}
