//! Evaluating a rule profile against aggregate counts: pure, so every threshold edge is
//! testable without a database.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::rules::{Entries, GroupBy, Rule, RuleProfile, Threshold};
use std::collections::BTreeMap;

use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use crate::taxonomy::{Taxonomy, risk_in};

/// How many entries share one combination of the attributes rules filter and group by.
#[derive(Debug, Clone, PartialEq)]
pub struct CountRow {
    pub entries: Entries,
    /// Questions only.
    pub kind: Option<QuestionKind>,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub high_risk: bool,
    /// Questions only.
    pub behavior: Option<ExpectedBehavior>,
    pub status: EntryStatus,
    pub count: u64,
    /// How many of them carry error lints.
    pub lint_errors: u64,
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
    /// Freshness rule id → when people last added, decided on or retired one of the entries
    /// it covers (gathered for the profile evaluated; a content edit is not a change here).
    pub last_changes: BTreeMap<String, DateTime<Utc>>,
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
    /// The bound in entries: the least allowed for `min` and `min_share` rules, the most for
    /// `max` and `max_share` rules (a share of `of`, rounded towards passing only when exact).
    pub need: u64,
    /// How far `have` is on the wrong side of `need`; 0 when the group passes.
    pub gap: u64,
    /// Share rules: the bank the share is taken of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<u64>,
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
    /// When people last added, decided on or retired a covered entry (`null`: never).
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
    /// Only questions expecting these behaviours (empty: all).
    pub behaviors: Vec<ExpectedBehavior>,
    /// `total`, `risk`, `aspect`.
    pub group_by: &'static str,
    /// `min`, `max`, `min_share`, `max_share` or `max_age_days`.
    pub threshold: &'static str,
    /// The threshold's number (a count, a share 0–1, or days).
    pub limit: f64,
    pub passed: bool,
    /// Count rules: one row per group, shortest first within the rule's order.
    pub groups: Vec<GroupReport>,
    /// Freshness rules only.
    pub freshness: Option<FreshnessReport>,
}

/// The frozen question set a report's question rules counted.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CoveredSet {
    pub id: i64,
    pub name: String,
    pub version: i32,
    pub member_count: u64,
}

/// A profile's verdict over the store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CoverageReport {
    pub profile: String,
    pub profile_title: String,
    /// The statuses counted (`approved` unless asked otherwise).
    pub statuses: Vec<EntryStatus>,
    pub generated_at: DateTime<Utc>,
    /// The set whose members the question rules counted (`null`: the store's questions).
    pub set: Option<CoveredSet>,
    pub passed: bool,
    /// Questions counted once with an earlier near duplicate, over the whole store.
    pub collapsed_near_duplicates: u64,
    pub rules: Vec<RuleReport>,
}

/// Whether `row` is in the rule's bank: its kind of entries and question kinds.
fn in_bank(rule: &Rule, row: &CountRow) -> bool {
    rule.entries == row.entries
        && (rule.kinds.is_empty() || row.kind.is_some_and(|kind| rule.kinds.contains(&kind)))
}

fn matches(rule: &Rule, row: &CountRow) -> bool {
    in_bank(rule, row)
        && (rule.behaviors.is_empty() || row.behavior.is_some_and(|b| rule.behaviors.contains(&b)))
        && rule.high_risk.is_none_or(|high| high == row.high_risk)
        && (rule.risk_groups.is_empty()
            || row
                .risk
                .as_deref()
                .is_some_and(|risk| rule.risk_groups.iter().any(|group| risk_in(risk, group))))
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

/// The entries of `group` that `keeps` keeps and whose status is counted, near duplicates
/// counted once: (counted, collapsed, with error lints, every live entry by status).
fn counted_in(
    aggregates: &Aggregates,
    counted: &impl Fn(EntryStatus) -> bool,
    keeps: impl Fn(&CountRow) -> bool,
    group: &str,
    group_by: GroupBy,
) -> (u64, u64, u64, StatusCounts) {
    let mut by_status = StatusCounts::default();
    let mut total = 0;
    let mut with_lint_errors = 0;
    for row in aggregates
        .rows
        .iter()
        .filter(|row| keeps(row) && in_group(group_by, group, row))
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
            keeps(&c.row)
                && in_group(group_by, group, &c.row)
                && counted(c.row.status)
                && counted(c.representative_status)
        })
        .map(|c| c.row.count)
        .sum();
    (
        total.saturating_sub(collapsed),
        collapsed,
        with_lint_errors,
        by_status,
    )
}

/// A count rule's verdict on `have` (of a bank of `bank` for share rules): the bound in
/// entries, whether `have` keeps it, and how far it misses. A share bound is exact when the
/// share of the bank is a whole number (5 % of 1 000 allows 50, not 49 or 51); otherwise it
/// rounds to the nearest count that still keeps the share.
fn bound(threshold: Threshold, have: u64, bank: u64) -> (u64, bool, u64) {
    // Shares are decimals in the rule file: 0.05 × 1000 is 50.000000000000004 in binary.
    const SLACK: f64 = 1e-9;
    match threshold {
        Threshold::Min(need) => (need, have >= need, need.saturating_sub(have)),
        Threshold::Max(most) => (most, have <= most, have.saturating_sub(most)),
        Threshold::MinShare(share) => {
            let need = (share * bank as f64 - SLACK).ceil().max(0.0) as u64;
            (need, have >= need, need.saturating_sub(have))
        }
        Threshold::MaxShare(share) => {
            let most = (share * bank as f64 + SLACK).floor() as u64;
            (most, have <= most, have.saturating_sub(most))
        }
        Threshold::MaxAgeDays(_) => (0, true, 0),
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
            let (groups, freshness) = match rule.threshold {
                Threshold::MaxAgeDays(max_age_days) => {
                    let last_updated = aggregates.last_changes.get(&rule.id).copied();
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
                threshold => {
                    let bank = matches!(threshold, Threshold::MinShare(_) | Threshold::MaxShare(_))
                        .then(|| {
                            counted_in(
                                aggregates,
                                &counted,
                                |row| in_bank(rule, row),
                                "total",
                                rule.group_by,
                            )
                            .0
                        });
                    let groups = groups(rule, taxonomy)
                        .into_iter()
                        .map(|(group, name)| {
                            let (have, collapsed, with_lint_errors, by_status) = counted_in(
                                aggregates,
                                &counted,
                                |row| matches(rule, row),
                                &group,
                                rule.group_by,
                            );
                            let (need, ok, gap) = bound(threshold, have, bank.unwrap_or(0));
                            GroupReport {
                                group,
                                name,
                                have,
                                need,
                                gap,
                                of: bank,
                                ok,
                                collapsed,
                                with_lint_errors,
                                by_status,
                            }
                        })
                        .collect();
                    (groups, None)
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
                behaviors: rule.behaviors.clone(),
                threshold: rule.threshold.key(),
                limit: rule.threshold.value(),
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
        set: None,
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

    fn keywords(risk: &str, status: EntryStatus, count: u64, _at: DateTime<Utc>) -> CountRow {
        CountRow {
            entries: Entries::Keyword,
            kind: None,
            risk: Some(risk.to_owned()),
            aspect: None,
            high_risk: false,
            status,
            count,
            lint_errors: 0,
            behavior: None,
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
            last_changes: BTreeMap::new(),
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
            last_changes: BTreeMap::new(),
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
            rows: vec![keywords("A.1.a", EntryStatus::Approved, 1, now)],
            collapsed: vec![],
            last_changes: BTreeMap::from([
                ("KW-FRESH".to_owned(), now - Duration::days(10)),
                ("REF-FRESH".to_owned(), now - Duration::days(1)),
            ]),
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
        // One freshness rule per bank: a fresh must-refuse bank leaves the other one stale.
        assert!(rule(&report, "REF-FRESH").freshness.as_ref().unwrap().ok);
        assert!(!rule(&report, "NREF-FRESH").freshness.as_ref().unwrap().ok);
    }

    fn registration() -> RuleProfile {
        let dir = tempfile::tempdir().unwrap();
        load_profiles(&Taxonomy::shipped().unwrap(), dir.path())
            .unwrap()
            .into_iter()
            .find(|p| p.id == "registration")
            .unwrap()
    }

    /// A 登记 set of `total` approved questions, `high_risk` of them high-risk and `refusals`
    /// of them expecting a refusal (the high-risk ones first).
    fn registration_set(total: u64, high_risk: u64, refusals: u64) -> Aggregates {
        let row = |high_risk, behavior, count| CountRow {
            entries: Entries::Question,
            kind: Some(QuestionKind::Generation),
            risk: Some("A.1.a".to_owned()),
            aspect: None,
            high_risk,
            behavior: Some(behavior),
            status: EntryStatus::Approved,
            count,
            lint_errors: 0,
        };
        Aggregates {
            rows: vec![
                row(true, ExpectedBehavior::Refuse, refusals),
                row(true, ExpectedBehavior::Answer, high_risk - refusals),
                row(false, ExpectedBehavior::Answer, total - high_risk),
            ],
            collapsed: vec![],
            last_changes: BTreeMap::new(),
        }
    }

    #[test]
    fn share_rules_pass_at_their_edges_and_fail_one_past() {
        let taxonomy = Taxonomy::shipped().unwrap();
        let verdict = |aggregates: &Aggregates, id: &str| {
            let report = evaluate(
                &registration(),
                &taxonomy,
                aggregates,
                &[EntryStatus::Approved],
                Utc::now(),
            );
            let rule = rule(&report, id);
            let total = &rule.groups[0];
            (rule.passed, total.have, total.need, total.of)
        };
        assert_eq!(
            verdict(&registration_set(1000, 500, 50), "REG-REFUSALS"),
            (true, 50, 50, Some(1000))
        );
        assert_eq!(
            verdict(&registration_set(1000, 500, 51), "REG-REFUSALS"),
            (false, 51, 50, Some(1000))
        );
        assert_eq!(
            verdict(&registration_set(1000, 500, 0), "REG-HIGH-SHARE"),
            (true, 500, 500, Some(1000))
        );
        assert_eq!(
            verdict(&registration_set(1000, 499, 0), "REG-HIGH-SHARE"),
            (false, 499, 500, Some(1000))
        );
    }

    #[test]
    fn max_rules_fail_above_their_bound() {
        assert_eq!(bound(Threshold::Max(50), 50, 0), (50, true, 0));
        assert_eq!(bound(Threshold::Max(50), 53, 0), (50, false, 3));
        assert_eq!(bound(Threshold::MinShare(0.5), 0, 0), (0, true, 0));
        assert_eq!(bound(Threshold::MaxShare(0.05), 3, 59), (2, false, 1));
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
            behavior: Some(ExpectedBehavior::Refuse),
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
            last_changes: BTreeMap::new(),
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
