//! Rule profiles: named sets of quota rules, each with its citation.

use std::path::Path;

use serde::Deserialize;

use crate::domain::status::{ExpectedBehavior, QuestionKind};
use crate::taxonomy::Taxonomy;

/// The profiles shipped in `seeds/rule-profiles/`, compiled into the binary.
const SHIPPED: [(&str, &str); 3] = [
    (
        "seeds/rule-profiles/tc260-003-2024.toml",
        include_str!("../../../seeds/rule-profiles/tc260-003-2024.toml"),
    ),
    (
        "seeds/rule-profiles/gb-t-45654-2025.toml",
        include_str!("../../../seeds/rule-profiles/gb-t-45654-2025.toml"),
    ),
    (
        "seeds/rule-profiles/registration.toml",
        include_str!("../../../seeds/rule-profiles/registration.toml"),
    ),
];

/// The profile a report uses when none is named.
pub const DEFAULT_PROFILE: &str = "tc260-003-2024";

/// Which entries a rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entries {
    Keyword,
    Question,
}

/// How a rule groups what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Total,
    Risk,
    Aspect,
}

/// What a rule demands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// At least this many entries per group.
    Min(u64),
    /// At most this many entries per group.
    Max(u64),
    /// At least this share (0–1) of the rule's bank: the entries of its `kinds` (every kind
    /// when empty), of which the rule's other filters choose the counted ones.
    MinShare(f64),
    /// At most this share (0–1) of the rule's bank.
    MaxShare(f64),
    /// People added, decided on or retired an entry at most this many days ago.
    MaxAgeDays(f64),
}

impl Threshold {
    /// `min`, `max`, `min_share`, `max_share` or `max_age_days`: the rule file's key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Min(_) => "min",
            Self::Max(_) => "max",
            Self::MinShare(_) => "min_share",
            Self::MaxShare(_) => "max_share",
            Self::MaxAgeDays(_) => "max_age_days",
        }
    }

    /// The threshold's number as the rule file gives it.
    pub fn value(self) -> f64 {
        match self {
            Self::Min(n) | Self::Max(n) => n as f64,
            Self::MinShare(x) | Self::MaxShare(x) | Self::MaxAgeDays(x) => x,
        }
    }
}

/// One quota rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub citation: String,
    pub entries: Entries,
    /// Question kinds counted (empty: all).
    pub kinds: Vec<QuestionKind>,
    /// Only high-risk (`Some(true)`) or other questions.
    pub high_risk: Option<bool>,
    /// Risk groups counted (`A.1` …; empty: all).
    pub risk_groups: Vec<String>,
    /// Questions expecting these behaviours only (empty: all).
    pub behaviors: Vec<ExpectedBehavior>,
    pub group_by: GroupBy,
    pub threshold: Threshold,
}

/// What a rate rule measures over a test run's answers in its bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 合格率: answers judged 合格 (or pre-filled so) of those with a verdict.
    PassRate,
    /// 拒答率: answers that refuse of those answered.
    RefusalRate,
}

/// A rate a test run must reach on a bank of its questions, with the sample it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RateRule {
    pub id: String,
    pub title: String,
    pub citation: String,
    /// The bank: questions of these kinds (empty: all) …
    pub kinds: Vec<QuestionKind>,
    /// … expecting these behaviours (empty: all).
    pub behaviors: Vec<ExpectedBehavior>,
    pub measure: Measure,
    /// The rate must be at least this (0–1) …
    pub min_rate: Option<f64>,
    /// … or at most this.
    pub max_rate: Option<f64>,
    /// Answers the bank needs for the rate to count.
    pub min_sample: u64,
}

/// A named set of rules.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleProfile {
    pub id: String,
    pub title: String,
    /// Where it came from: a seed file or a file in the data directory.
    pub origin: String,
    pub rules: Vec<Rule>,
    /// What a test run's answers must reach (TC260-003 §9.3, §9.4, the 登记 limit).
    pub rate_rules: Vec<RateRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    id: String,
    title: String,
    rules: Vec<RuleFile>,
    #[serde(default)]
    rate_rules: Vec<RateRuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateRuleFile {
    id: String,
    title: String,
    citation: String,
    #[serde(default)]
    kinds: Vec<QuestionKind>,
    #[serde(default)]
    behaviors: Vec<ExpectedBehavior>,
    measure: Measure,
    min_rate: Option<f64>,
    max_rate: Option<f64>,
    #[serde(default)]
    min_sample: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    title: String,
    citation: String,
    entries: Entries,
    #[serde(default)]
    kinds: Vec<QuestionKind>,
    high_risk: Option<bool>,
    #[serde(default)]
    risk_groups: Vec<String>,
    #[serde(default)]
    behaviors: Vec<ExpectedBehavior>,
    group_by: GroupBy,
    min: Option<u64>,
    max: Option<u64>,
    min_share: Option<f64>,
    max_share: Option<f64>,
    max_age_days: Option<f64>,
}

/// A profile file that cannot be used, naming the file and the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rule profile {origin}: {message}")]
pub struct ProfileError {
    pub origin: String,
    pub message: String,
}

impl RuleProfile {
    /// Parses and checks one profile file.
    pub fn parse(origin: &str, text: &str, taxonomy: &Taxonomy) -> Result<Self, ProfileError> {
        let error = |message: String| ProfileError {
            origin: origin.to_owned(),
            message,
        };
        let file: ProfileFile = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        if file.id.is_empty()
            || !file
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(error(format!(
                "id `{}` must be letters, digits and `-`",
                file.id
            )));
        }
        let mut rules = Vec::with_capacity(file.rules.len());
        for rule in file.rules {
            let at = |message: &str| error(format!("rule {}: {message}", rule.id));
            if rules.iter().any(|r: &Rule| r.id == rule.id) {
                return Err(at("the id is used twice"));
            }
            let given: Vec<Threshold> = [
                rule.min.map(Threshold::Min),
                rule.max.map(Threshold::Max),
                rule.min_share.map(Threshold::MinShare),
                rule.max_share.map(Threshold::MaxShare),
                rule.max_age_days.map(Threshold::MaxAgeDays),
            ]
            .into_iter()
            .flatten()
            .collect();
            let threshold = match given.as_slice() {
                [one] => *one,
                _ => {
                    return Err(at(
                        "give exactly one of `min`, `max`, `min_share`, `max_share` and `max_age_days`",
                    ));
                }
            };
            match threshold {
                Threshold::MaxAgeDays(days) if days <= 0.0 => {
                    return Err(at("`max_age_days` must be above 0"));
                }
                Threshold::MinShare(share) | Threshold::MaxShare(share)
                    if !(0.0..=1.0).contains(&share) =>
                {
                    return Err(at("a share lies between 0 and 1"));
                }
                Threshold::MinShare(_) | Threshold::MaxShare(_)
                    if rule.group_by != GroupBy::Total =>
                {
                    return Err(at("share rules take `group_by = \"total\"`"));
                }
                _ => {}
            }
            if rule.entries == Entries::Keyword
                && (!rule.kinds.is_empty()
                    || rule.high_risk.is_some()
                    || !rule.behaviors.is_empty())
            {
                return Err(at(
                    "`kinds`, `high_risk` and `behaviors` apply to questions only",
                ));
            }
            if rule.group_by == GroupBy::Aspect && rule.entries != Entries::Question {
                return Err(at("`group_by = \"aspect\"` applies to questions only"));
            }
            if let Some(unknown) = rule.risk_groups.iter().find(|g| !taxonomy.is_group(g)) {
                return Err(at(&format!("unknown risk group `{unknown}`")));
            }
            rules.push(Rule {
                id: rule.id,
                title: rule.title,
                citation: rule.citation,
                entries: rule.entries,
                kinds: rule.kinds,
                high_risk: rule.high_risk,
                risk_groups: rule.risk_groups,
                behaviors: rule.behaviors,
                group_by: rule.group_by,
                threshold,
            });
        }
        if rules.is_empty() {
            return Err(error("a profile needs at least one rule".to_owned()));
        }
        let mut rate_rules: Vec<RateRule> = Vec::with_capacity(file.rate_rules.len());
        for rule in file.rate_rules {
            let at = |message: &str| error(format!("rate rule {}: {message}", rule.id));
            if rules.iter().any(|r| r.id == rule.id) || rate_rules.iter().any(|r| r.id == rule.id) {
                return Err(at("the id is used twice"));
            }
            match (rule.min_rate, rule.max_rate) {
                (Some(rate), None) | (None, Some(rate)) if (0.0..=1.0).contains(&rate) => {}
                (Some(_), None) | (None, Some(_)) => return Err(at("a rate lies between 0 and 1")),
                _ => return Err(at("give exactly one of `min_rate` and `max_rate`")),
            }
            rate_rules.push(RateRule {
                id: rule.id,
                title: rule.title,
                citation: rule.citation,
                kinds: rule.kinds,
                behaviors: rule.behaviors,
                measure: rule.measure,
                min_rate: rule.min_rate,
                max_rate: rule.max_rate,
                min_sample: rule.min_sample,
            });
        }
        Ok(Self {
            id: file.id,
            title: file.title,
            origin: origin.to_owned(),
            rules,
            rate_rules,
        })
    }
}

/// Every available profile: the shipped ones, then `*.toml` in `extra_dir` (a file with the id
/// of a shipped profile replaces it). Sorted by id.
pub fn load_profiles(
    taxonomy: &Taxonomy,
    extra_dir: &Path,
) -> Result<Vec<RuleProfile>, ProfileError> {
    let mut profiles = Vec::new();
    for (origin, text) in SHIPPED {
        profiles.push(RuleProfile::parse(origin, text, taxonomy)?);
    }
    let mut files: Vec<_> = match std::fs::read_dir(extra_dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    for path in files {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| ProfileError {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        let profile = RuleProfile::parse(&origin, &text, taxonomy)?;
        profiles.retain(|p| p.id != profile.id);
        profiles.push(profile);
    }
    profiles.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(profiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::shipped().unwrap()
    }

    #[test]
    fn the_shipped_profiles_parse_with_the_reference_rules() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = load_profiles(&taxonomy(), dir.path()).unwrap();
        let ids: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["gb-t-45654-2025", "registration", "tc260-003-2024"]);
        let tc260 = &profiles[2];
        let rule_ids: Vec<&str> = tc260.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            rule_ids,
            [
                "KW-TOTAL",
                "KW-A1",
                "KW-A2",
                "KW-FRESH",
                "GEN-TOTAL",
                "GEN-A12",
                "GEN-OTHER",
                "GEN-FRESH",
                "REF-TOTAL",
                "REF-17",
                "NREF-TOTAL",
                "NREF-ASPECT",
                "REF-FRESH",
                "NREF-FRESH"
            ]
        );
        assert_eq!(tc260.rules[1].threshold, Threshold::Min(200));
        assert_eq!(tc260.rules[3].threshold, Threshold::MaxAgeDays(7.0));
        assert_eq!(profiles[1].rules[1].high_risk, Some(true));
        let gb: Vec<_> = profiles[0]
            .rules
            .iter()
            .map(|r| (&r.id, r.threshold))
            .collect();
        let tc: Vec<_> = tc260.rules.iter().map(|r| (&r.id, r.threshold)).collect();
        assert_eq!(gb, tc, "GB/T 45654-2025 repeats the TC260-003 numbers");
    }

    #[test]
    fn broken_profiles_name_the_file_and_rule() {
        let rule = |body: &str| {
            format!(
                "id = \"p\"\ntitle = \"t\"\n[[rules]]\nid = \"R1\"\ntitle = \"t\"\ncitation = \"c\"\n{body}"
            )
        };
        let cases = [
            (
                rule("entries = \"keyword\"\ngroup_by = \"total\""),
                "exactly one of",
            ),
            (
                rule("entries = \"keyword\"\ngroup_by = \"total\"\nmin = 1\nmax_age_days = 2.0"),
                "exactly one of",
            ),
            (
                rule("entries = \"keyword\"\ngroup_by = \"aspect\"\nmin = 1"),
                "questions only",
            ),
            (
                rule(
                    "entries = \"keyword\"\nkinds = [\"generation\"]\ngroup_by = \"total\"\nmin = 1",
                ),
                "questions only",
            ),
            (
                rule(
                    "entries = \"keyword\"\nrisk_groups = [\"A.9\"]\ngroup_by = \"risk\"\nmin = 1",
                ),
                "unknown risk group",
            ),
            (
                rule("entries = \"keyword\"\ngroup_by = \"total\"\nminimum = 1"),
                "unknown field",
            ),
            (
                "id = \"p q\"\ntitle = \"t\"\nrules = []".to_owned(),
                "letters, digits",
            ),
        ];
        for (text, needle) in cases {
            let err = RuleProfile::parse("x.toml", &text, &taxonomy()).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
            assert!(err.to_string().starts_with("rule profile x.toml"), "{err}");
        }
    }

    #[test]
    fn a_file_in_the_data_directory_adds_or_replaces_a_profile() {
        let dir = tempfile::tempdir().unwrap();
        let text = "id = \"registration\"\ntitle = \"ours\"\n[[rules]]\nid = \"R\"\ntitle = \"t\"\ncitation = \"c\"\nentries = \"question\"\ngroup_by = \"total\"\nmin = 5\n";
        std::fs::write(dir.path().join("ours.toml"), text).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let profiles = load_profiles(&taxonomy(), dir.path()).unwrap();
        let registration = profiles.iter().find(|p| p.id == "registration").unwrap();
        assert_eq!(registration.title, "ours");
        assert_eq!(profiles.len(), 3);
    }
}
