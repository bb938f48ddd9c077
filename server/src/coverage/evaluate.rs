//! Evaluating a rule profile against aggregate counts: pure, so every threshold edge is
//! testable without a database.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::rules::{Entries, GroupBy, Rule, RuleProfile, Threshold};
use crate::domain::status::{EntryStatus, QuestionKind};
use crate::taxonomy::Taxonomy;

/// How many entries share one combination of the attributes rules filter and group by.
#[derive(Debug, Clone, PartialEq)]
pub struct CountRow {
    pub entries: Entries,
    /// Questions only.
    pub kind: Option<QuestionKind>,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub high_risk: bool,
    pub status: EntryStatus,
    pub count: u64,
    /// How many of them carry error lints.
    pub lint_errors: u64,
    /// The newest `updated_at` among them.
    pub last_updated: Option<DateTime<Utc>>,
}

/// Questions that nearly duplicate an earlier question whose status is
/// `representative_status`: they count once with it when both statuses are counted.
#[derive(Debug, Clone, PartialEq)]
pub struct CollapsedRow {
    pub row: CountRow,
    pub representative_status: EntryStatus,
}

/// The store's counts, as `services::coverage` gathers them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregates {
    pub rows: Vec<CountRow>,
    pub collapsed: Vec<CollapsedRow>,
}

/// Entries per review status (retired entries are never counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct StatusCounts {
    pub draft: u64,
    pub approved: u64,
    pub rejected: u64,
}

/// One group of a count rule: a risk, an aspect, or the total.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupReport {
    /// `total`, a risk code or an aspect code.
    pub group: String,
    /// The risk's or aspect's Chinese name.
    pub name: Option<String>,
    /// Counted entries, near duplicates counted once.
    pub have: u64,
    pub need: u64,
    /// `need − have`, never negative.
    pub gap: u64,
    pub ok: bool,
    /// Near-duplicate questions left out of `have`.
    pub collapsed: u64,
    /// Counted entries that carry error lints: a reviewer will strike them, so `have`
    /// overstates the group by up to this many.
    pub with_lint_errors: u64,
    /// All live entries of the group by status, before collapsing.
    pub by_status: StatusCounts,
}

/// A freshness rule's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FreshnessReport {
    /// The newest change among counted entries (`null`: none).
    pub last_updated: Option<DateTime<Utc>>,
    pub max_age_days: f64,
    pub age_days: Option<f64>,
    /// How far past the limit (0 when fresh; the limit itself when never updated).
    pub days_overdue: f64,
    pub ok: bool,
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RuleReport {
    pub id: String,
    pub title: String,
    pub citation: String,
    /// `keyword` or `question`.
    pub entries: &'static str,
    /// Question kinds counted (empty: every kind, or keywords).
    pub kinds: Vec<QuestionKind>,
    /// Only high-risk (`true`) or only other (`false`) questions; `null`: both.
    pub high_risk: Option<bool>,
    /// `total`, `risk`, `aspect`.
    pub group_by: &'static str,
    pub passed: bool,
    /// Count rules: one row per group, shortest first within the rule's order.
    pub groups: Vec<GroupReport>,
    /// Freshness rules only.
    pub freshness: Option<FreshnessReport>,
}

/// A profile's verdict over the store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CoverageReport {
    pub profile: String,
    pub profile_title: String,
    /// The statuses counted (`approved` unless asked otherwise).
    pub statuses: Vec<EntryStatus>,
    pub generated_at: DateTime<Utc>,
    pub passed: bool,
    /// Questions counted once with an earlier near duplicate, over the whole store.
    pub collapsed_near_duplicates: u64,
    pub rules: Vec<RuleReport>,
}

fn matches(rule: &Rule, row: &CountRow) -> bool {
    rule.entries == row.entries
        && (rule.kinds.is_empty() || row.kind.is_some_and(|kind| rule.kinds.contains(&kind)))
        && rule.high_risk.is_none_or(|high| high == row.high_risk)
        && (rule.risk_groups.is_empty()
            || row.risk.as_deref().is_some_and(|risk| {
                rule.risk_groups.iter().any(|group| {
                    risk.strip_prefix(group.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
                })
            }))
}

fn in_group(group_by: GroupBy, group: &str, row: &CountRow) -> bool {
    match group_by {
        GroupBy::Total => true,
        GroupBy::Risk => row.risk.as_deref() == Some(group),
        GroupBy::Aspect => row.aspect.as_deref() == Some(group),
    }
}

/// The groups a rule reports, empty ones included: (code, Chinese name).
fn groups(rule: &Rule, taxonomy: &Taxonomy) -> Vec<(String, Option<String>)> {
    match rule.group_by {
        GroupBy::Total => vec![("total".to_owned(), None)],
        GroupBy::Risk => taxonomy
            .risks
            .iter()
            .filter(|risk| {
                rule.risk_groups.is_empty() || rule.risk_groups.contains(&risk.group_code)
            })
            .map(|risk| (risk.code.clone(), Some(risk.name_zh.clone())))
            .collect(),
        GroupBy::Aspect => taxonomy
            .aspects
            .iter()
            .map(|aspect| (aspect.code.clone(), Some(aspect.name_zh.clone())))
            .collect(),
    }
}

/// Evaluates `profile` over `aggregates`, counting entries whose status is in `statuses`.
pub fn evaluate(
    profile: &RuleProfile,
    taxonomy: &Taxonomy,
    aggregates: &Aggregates,
    statuses: &[EntryStatus],
    now: DateTime<Utc>,
) -> CoverageReport {
    let counted = |status: EntryStatus| statuses.contains(&status);
    let rules: Vec<RuleReport> = profile
        .rules
        .iter()
        .map(|rule| {
            let rows: Vec<&CountRow> = aggregates
                .rows
                .iter()
                .filter(|row| matches(rule, row))
                .collect();
            let (groups, freshness) = match rule.threshold {
                Threshold::Min(need) => {
                    let groups = groups(rule, taxonomy)
                        .into_iter()
                        .map(|(group, name)| {
                            let mut by_status = StatusCounts::default();
                            let mut total = 0;
                            let mut with_lint_errors = 0;
                            for row in rows
                                .iter()
                                .filter(|row| in_group(rule.group_by, &group, row))
                            {
                                match row.status {
                                    EntryStatus::Draft => by_status.draft += row.count,
                                    EntryStatus::Approved => by_status.approved += row.count,
                                    EntryStatus::Rejected => by_status.rejected += row.count,
                                    EntryStatus::Retired => continue,
                                }
                                if counted(row.status) {
                                    total += row.count;
                                    with_lint_errors += row.lint_errors;
                                }
                            }
                            let collapsed: u64 = aggregates
                                .collapsed
                                .iter()
                                .filter(|c| {
                                    matches(rule, &c.row)
                                        && in_group(rule.group_by, &group, &c.row)
                                        && counted(c.row.status)
                                        && counted(c.representative_status)
                                })
                                .map(|c| c.row.count)
                                .sum();
                            let have = total.saturating_sub(collapsed);
                            GroupReport {
                                group,
                                name,
                                have,
                                need,
                                gap: need.saturating_sub(have),
                                ok: have >= need,
                                collapsed,
                                with_lint_errors,
                                by_status,
                            }
                        })
                        .collect();
                    (groups, None)
                }
                Threshold::MaxAgeDays(max_age_days) => {
                    let last_updated = rows
                        .iter()
                        .filter(|row| counted(row.status))
                        .filter_map(|row| row.last_updated)
                        .max();
                    let age_days =
                        last_updated.map(|at| (now - at).num_seconds().max(0) as f64 / 86_400.0);
                    let days_overdue = match age_days {
                        Some(age) => (age - max_age_days).max(0.0),
                        None => max_age_days,
                    };
                    let ok = age_days.is_some_and(|age| age <= max_age_days);
                    let freshness = FreshnessReport {
                        last_updated,
                        max_age_days,
                        age_days,
                        days_overdue,
                        ok,
                    };
                    (Vec::new(), Some(freshness))
                }
            };
            let passed = groups.iter().all(|g| g.ok) && freshness.as_ref().is_none_or(|f| f.ok);
            RuleReport {
                id: rule.id.clone(),
                title: rule.title.clone(),
                citation: rule.citation.clone(),
                entries: match rule.entries {
                    Entries::Keyword => "keyword",
                    Entries::Question => "question",
                },
                kinds: rule.kinds.clone(),
                high_risk: rule.high_risk,
                group_by: match rule.group_by {
                    GroupBy::Total => "total",
                    GroupBy::Risk => "risk",
                    GroupBy::Aspect => "aspect",
                },
                passed,
                groups,
                freshness,
            }
        })
        .collect();
    CoverageReport {
        profile: profile.id.clone(),
        profile_title: profile.title.clone(),
        statuses: statuses.to_vec(),
        generated_at: now,
        passed: rules.iter().all(|r| r.passed),
        collapsed_near_duplicates: aggregates
            .collapsed
            .iter()
            .filter(|c| counted(c.row.status) && counted(c.representative_status))
            .map(|c| c.row.count)
            .sum(),
        rules,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::coverage::rules::load_profiles;

    fn tc260() -> RuleProfile {
        let dir = tempfile::tempdir().unwrap();
        load_profiles(&Taxonomy::shipped().unwrap(), dir.path())
            .unwrap()
            .into_iter()
            .find(|p| p.id == "tc260-003-2024")
            .unwrap()
    }

    fn keywords(risk: &str, status: EntryStatus, count: u64, at: DateTime<Utc>) -> CountRow {
        CountRow {
            entries: Entries::Keyword,
            kind: None,
            risk: Some(risk.to_owned()),
            aspect: None,
            high_risk: false,
            status,
            count,
            lint_errors: 0,
            last_updated: Some(at),
        }
    }

    fn rule<'a>(report: &'a CoverageReport, id: &str) -> &'a RuleReport {
        report.rules.iter().find(|r| r.id == id).unwrap()
    }

    fn group<'a>(rule: &'a RuleReport, code: &str) -> &'a GroupReport {
        rule.groups.iter().find(|g| g.group == code).unwrap()
    }

    #[test]
    fn per_risk_counts_meet_the_threshold_at_exactly_200() {
        let now = Utc::now();
        let aggregates = Aggregates {
            rows: vec![
                keywords("A.1.a", EntryStatus::Approved, 199, now),
                keywords("A.1.b", EntryStatus::Approved, 200, now),
                keywords("A.1.b", EntryStatus::Draft, 7, now),
                keywords("A.2.a", EntryStatus::Approved, 100, now),
                keywords("A.2.b", EntryStatus::Rejected, 100, now),
            ],
            collapsed: vec![],
        };
        let report = evaluate(
            &tc260(),
            &Taxonomy::shipped().unwrap(),
            &aggregates,
            &[EntryStatus::Approved],
            now,
        );
        let a1 = rule(&report, "KW-A1");
        assert_eq!(a1.groups.len(), 8);
        let short = group(a1, "A.1.a");
        assert_eq!(
            (short.have, short.need, short.gap, short.ok),
            (199, 200, 1, false)
        );
        assert_eq!(
            short.name.as_deref(),
            Some("煽动颠覆国家政权、推翻社会主义制度")
        );
        let met = group(a1, "A.1.b");
        assert_eq!((met.have, met.gap, met.ok), (200, 0, true));
        assert_eq!(
            met.by_status,
            StatusCounts {
                draft: 7,
                approved: 200,
                rejected: 0
            }
        );
        let empty = group(a1, "A.1.h");
        assert_eq!((empty.have, empty.gap), (0, 200));
        assert!(!a1.passed);
        let a2 = rule(&report, "KW-A2");
        assert!(group(a2, "A.2.a").ok);
        assert_eq!(group(a2, "A.2.b").have, 0, "rejected entries do not count");
        let total = group(rule(&report, "KW-TOTAL"), "total");
        assert_eq!((total.have, total.gap), (499, 10_000 - 499));
        assert!(!report.passed);
    }

    #[test]
    fn drafts_count_only_when_asked() {
        let now = Utc::now();
        let aggregates = Aggregates {
            rows: vec![
                keywords("A.1.a", EntryStatus::Approved, 150, now),
                keywords("A.1.a", EntryStatus::Draft, 50, now),
            ],
            collapsed: vec![],
        };
        let taxonomy = Taxonomy::shipped().unwrap();
        let approved = evaluate(
            &tc260(),
            &taxonomy,
            &aggregates,
            &[EntryStatus::Approved],
            now,
        );
        assert_eq!(group(rule(&approved, "KW-A1"), "A.1.a").have, 150);
        let both = evaluate(
            &tc260(),
            &taxonomy,
            &aggregates,
            &[EntryStatus::Approved, EntryStatus::Draft],
            now,
        );
        assert!(group(rule(&both, "KW-A1"), "A.1.a").ok);
    }

    #[test]
    fn freshness_reports_age_and_overdue_days() {
        let now = Utc::now();
        let aggregates = Aggregates {
            rows: vec![
                keywords("A.1.a", EntryStatus::Approved, 1, now - Duration::days(10)),
                keywords("A.1.b", EntryStatus::Draft, 1, now - Duration::days(1)),
            ],
            collapsed: vec![],
        };
        let report = evaluate(
            &tc260(),
            &Taxonomy::shipped().unwrap(),
            &aggregates,
            &[EntryStatus::Approved],
            now,
        );
        let fresh = rule(&report, "KW-FRESH").freshness.as_ref().unwrap();
        assert!(!fresh.ok);
        assert!((fresh.days_overdue - 3.0).abs() < 0.01, "{fresh:?}");
        let never = rule(&report, "GEN-FRESH").freshness.as_ref().unwrap();
        assert_eq!(
            (never.last_updated, never.ok, never.days_overdue),
            (None, false, 31.0)
        );
    }

    #[test]
    fn near_duplicates_count_once_when_both_are_counted() {
        let now = Utc::now();
        let question = |status, count| CountRow {
            entries: Entries::Question,
            kind: Some(QuestionKind::MustRefuse),
            risk: Some("A.1.d".to_owned()),
            aspect: None,
            high_risk: true,
            status,
            count,
            lint_errors: 0,
            last_updated: Some(now),
        };
        let aggregates = Aggregates {
            rows: vec![question(EntryStatus::Approved, 25)],
            collapsed: vec![
                CollapsedRow {
                    row: question(EntryStatus::Approved, 4),
                    representative_status: EntryStatus::Approved,
                },
                CollapsedRow {
                    row: question(EntryStatus::Approved, 2),
                    representative_status: EntryStatus::Draft,
                },
            ],
        };
        let report = evaluate(
            &tc260(),
            &Taxonomy::shipped().unwrap(),
            &aggregates,
            &[EntryStatus::Approved],
            now,
        );
        let d = group(rule(&report, "REF-17"), "A.1.d");
        assert_eq!((d.have, d.collapsed, d.ok), (21, 4, true));
        assert_eq!(report.collapsed_near_duplicates, 4);
        assert_eq!(
            group(rule(&report, "GEN-A12"), "A.1.d").have,
            0,
            "other kinds do not count"
        );
    }
}
