//! Gathering what the exports write: entries by status, or a build's keywords.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::builds::{self, BuildEnvironment, BuildError, FilterCache};
use crate::coverage::rules::{
    DEFAULT_PROFILE, Entries, GroupBy, ProfileError, Threshold, load_profiles,
};
use crate::domain::status::{EntryStatus, KeywordKind};
use crate::export::{KeywordRow, QuestionRow};
use crate::store::entities::keyword;
use crate::taxonomy::Taxonomy;

/// Keywords whose status is in `statuses`, in id order.
pub async fn keywords(
    db: &DatabaseConnection,
    statuses: &[EntryStatus],
) -> Result<Vec<KeywordRow>, DbErr> {
    Ok(keyword::Entity::find()
        .filter(keyword::Column::Status.is_in(statuses.iter().copied()))
        .order_by_asc(keyword::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|k| KeywordRow {
            term: k.term,
            risk: k.risk,
            kind: k.kind,
            note: k.note,
            source: k.source,
        })
        .collect())
}

/// The keywords compiled into published build `number`, from its artefact.
pub async fn build_keywords(
    env: &BuildEnvironment,
    cache: &FilterCache,
    number: i64,
) -> Result<Vec<KeywordRow>, BuildError> {
    let filter = builds::filter(env, cache, number).await?;
    let mut rows: Vec<KeywordRow> = Vec::new();
    for pattern in filter.patterns() {
        for (flag, kind) in [
            (pattern.block, KeywordKind::Block),
            (pattern.allow, KeywordKind::Allow),
        ] {
            if flag {
                rows.push(KeywordRow {
                    term: pattern.term.to_owned(),
                    risk: pattern.risks.first().cloned().unwrap_or_default(),
                    kind,
                    note: None,
                    source: Some(format!("build {number}")),
                });
            }
        }
    }
    for (term, _, risks) in filter.and_rules() {
        rows.push(KeywordRow {
            term: term.to_owned(),
            risk: risks.first().cloned().unwrap_or_default(),
            kind: KeywordKind::AllOf,
            note: None,
            source: Some(format!("build {number}")),
        });
    }
    Ok(rows)
}

/// Questions whose status is in `statuses`, in id order.
pub async fn questions(
    db: &DatabaseConnection,
    statuses: &[EntryStatus],
) -> Result<Vec<QuestionRow>, DbErr> {
    Ok(super::questions::with_status(db, statuses)
        .await?
        .into_iter()
        .map(|q| QuestionRow {
            text: q.text,
            kind: q.kind,
            high_risk: q.high_risk,
            risk: q.risk,
            aspect: q.aspect,
            expected_output: q.expected_output,
            judgment_criteria: q.judgment_criteria,
        })
        .collect())
}

/// The keyword minimums of the default rule profile: per risk, and in total.
pub fn keyword_needs(
    taxonomy: &Taxonomy,
    profiles_dir: &std::path::Path,
) -> Result<(BTreeMap<String, u64>, Option<u64>), ProfileError> {
    let profiles = load_profiles(taxonomy, profiles_dir)?;
    let mut per_risk = BTreeMap::new();
    let mut total = None;
    for rule in profiles
        .iter()
        .filter(|p| p.id == DEFAULT_PROFILE)
        .flat_map(|p| &p.rules)
        .filter(|r| r.entries == Entries::Keyword)
    {
        let Threshold::Min(need) = rule.threshold else {
            continue;
        };
        match rule.group_by {
            GroupBy::Total => total = Some(need),
            GroupBy::Risk => {
                for risk in taxonomy.risks.iter().filter(|r| {
                    rule.risk_groups.is_empty() || rule.risk_groups.contains(&r.group_code)
                }) {
                    per_risk.insert(risk.code.clone(), need);
                }
            }
            GroupBy::Aspect => {}
        }
    }
    Ok((per_risk, total))
}
