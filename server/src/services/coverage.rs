//! Gathering the counts coverage is evaluated from: one grouped query per entry kind, plus one
//! for collapsed near duplicates, whatever the number of rules or profiles.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use crate::coverage::evaluate::{Aggregates, CollapsedRow, CountRow, CoverageReport, evaluate};
use crate::coverage::rules::{Entries, ProfileError, RuleProfile, load_profiles};
use crate::domain::status::{EntryStatus, KeywordKind, QuestionKind};
use crate::store::entities::{keyword, question};
use crate::taxonomy::Taxonomy;

#[derive(Debug, FromQueryResult)]
struct KeywordGroup {
    risk: String,
    status: EntryStatus,
    kind: KeywordKind,
    count: i64,
}

#[derive(Debug, FromQueryResult)]
struct QuestionGroup {
    kind: QuestionKind,
    risk: Option<String>,
    aspect: Option<String>,
    high_risk: bool,
    status: EntryStatus,
    count: i64,
    last_updated: Option<DateTime<Utc>>,
}

/// The attributes a question group is keyed by.
type QuestionKey = (
    QuestionKind,
    Option<String>,
    Option<String>,
    bool,
    EntryStatus,
);

impl QuestionGroup {
    fn key(&self) -> QuestionKey {
        (
            self.kind,
            self.risk.clone(),
            self.aspect.clone(),
            self.high_risk,
            self.status,
        )
    }
}

#[derive(Debug, FromQueryResult)]
struct CollapsedGroup {
    kind: QuestionKind,
    risk: Option<String>,
    aspect: Option<String>,
    high_risk: bool,
    status: EntryStatus,
    representative_status: EntryStatus,
    count: i64,
}

/// Why a coverage report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("no rule profile `{id}`; available: {available}")]
    UnknownProfile { id: String, available: String },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The report of profile `profile_id` (from the shipped profiles and `profiles_dir`) over the
/// entries whose status is in `statuses`; also returns every available profile.
pub async fn report(
    db: &impl ConnectionTrait,
    taxonomy: &Taxonomy,
    profiles_dir: &Path,
    profile_id: &str,
    statuses: &[EntryStatus],
) -> Result<(CoverageReport, Vec<RuleProfile>), CoverageError> {
    let profiles = load_profiles(taxonomy, profiles_dir)?;
    let profile = profiles
        .iter()
        .find(|p| p.id == profile_id)
        .ok_or_else(|| CoverageError::UnknownProfile {
            id: profile_id.to_owned(),
            available: profiles
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let aggregates = aggregates(db).await?;
    let report = evaluate(profile, taxonomy, &aggregates, statuses, Utc::now());
    Ok((report, profiles))
}

/// Every count a rule profile can ask for.
///
/// Cost: the keyword count scans the covering index (risk, status, kind, updated_at) once; the
/// newest change of each (risk, status, kind) group is then one index seek, cheaper than carrying
/// `MAX(updated_at)` through the million-row scan. Questions are counted over their covering
/// index in one grouped query, collapsed near duplicates in one join over their own index.
pub async fn aggregates(db: &impl ConnectionTrait) -> Result<Aggregates, DbErr> {
    let keyword_groups = keyword::Entity::find()
        .select_only()
        .column(keyword::Column::Risk)
        .column(keyword::Column::Status)
        .column(keyword::Column::Kind)
        .column_as(Expr::col(keyword::Column::Id).count(), "count")
        .group_by(keyword::Column::Risk)
        .group_by(keyword::Column::Status)
        .group_by(keyword::Column::Kind)
        .into_model::<KeywordGroup>()
        .all(db)
        .await?;
    // Entries with error lints, per group: two grouped counts that walk the `lint_errors`
    // indexes (few entries have any).
    let linted_keywords: HashMap<(String, EntryStatus, KeywordKind), i64> = keyword::Entity::find()
        .select_only()
        .column(keyword::Column::Risk)
        .column(keyword::Column::Status)
        .column(keyword::Column::Kind)
        .column_as(Expr::col(keyword::Column::Id).count(), "count")
        .filter(keyword::Column::LintErrors.gt(0))
        .group_by(keyword::Column::Risk)
        .group_by(keyword::Column::Status)
        .group_by(keyword::Column::Kind)
        .into_model::<KeywordGroup>()
        .all(db)
        .await?
        .into_iter()
        .map(|g| ((g.risk, g.status, g.kind), g.count))
        .collect();
    let linted_questions: HashMap<QuestionKey, i64> = question::Entity::find()
        .select_only()
        .columns([
            question::Column::Kind,
            question::Column::Risk,
            question::Column::Aspect,
            question::Column::HighRisk,
            question::Column::Status,
        ])
        .column_as(Expr::col(question::Column::Id).count(), "count")
        .column_as(Expr::col(question::Column::UpdatedAt).max(), "last_updated")
        .filter(question::Column::LintErrors.gt(0))
        .group_by(question::Column::Kind)
        .group_by(question::Column::Risk)
        .group_by(question::Column::Aspect)
        .group_by(question::Column::HighRisk)
        .group_by(question::Column::Status)
        .into_model::<QuestionGroup>()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.key(), g.count))
        .collect();
    let count_of = |n: Option<&i64>| n.map_or(0, |n| u64::try_from(*n).unwrap_or(0));
    let mut keyword_rows = Vec::with_capacity(keyword_groups.len());
    // Allow-list entries intercept nothing, so they never count toward a quota.
    for group in keyword_groups
        .into_iter()
        .filter(|g| g.kind != KeywordKind::Allow)
    {
        let last_updated: Option<DateTime<Utc>> = keyword::Entity::find()
            .select_only()
            .column_as(Expr::col(keyword::Column::UpdatedAt).max(), "last_updated")
            .filter(keyword::Column::Risk.eq(group.risk.as_str()))
            .filter(keyword::Column::Status.eq(group.status))
            .filter(keyword::Column::Kind.eq(group.kind))
            .into_tuple()
            .one(db)
            .await?
            .flatten();
        let risk_code = group.risk;
        keyword_rows.push(CountRow {
            entries: Entries::Keyword,
            kind: None,
            risk: Some(risk_code.clone()),
            aspect: None,
            high_risk: false,
            status: group.status,
            count: u64::try_from(group.count).unwrap_or(0),
            lint_errors: count_of(linted_keywords.get(&(
                risk_code.clone(),
                group.status,
                group.kind,
            ))),
            last_updated,
        });
    }
    let question_groups = question::Entity::find()
        .select_only()
        .columns([
            question::Column::Kind,
            question::Column::Risk,
            question::Column::Aspect,
            question::Column::HighRisk,
            question::Column::Status,
        ])
        .column_as(Expr::col(question::Column::Id).count(), "count")
        .column_as(Expr::col(question::Column::UpdatedAt).max(), "last_updated")
        .group_by(question::Column::Kind)
        .group_by(question::Column::Risk)
        .group_by(question::Column::Aspect)
        .group_by(question::Column::HighRisk)
        .group_by(question::Column::Status)
        .into_model::<QuestionGroup>()
        .all(db)
        .await?;

    // Questions joined to the earlier question they nearly duplicate.
    let (q, p) = (Alias::new("q"), Alias::new("p"));
    let collapsed_query = Query::select()
        .expr_as(
            Expr::col((q.clone(), question::Column::Kind)),
            Alias::new("kind"),
        )
        .expr_as(
            Expr::col((q.clone(), question::Column::Risk)),
            Alias::new("risk"),
        )
        .expr_as(
            Expr::col((q.clone(), question::Column::Aspect)),
            Alias::new("aspect"),
        )
        .expr_as(
            Expr::col((q.clone(), question::Column::HighRisk)),
            Alias::new("high_risk"),
        )
        .expr_as(
            Expr::col((q.clone(), question::Column::Status)),
            Alias::new("status"),
        )
        .expr_as(
            Expr::col((p.clone(), question::Column::Status)),
            Alias::new("representative_status"),
        )
        .expr_as(
            Func::count(Expr::col((q.clone(), question::Column::Id))),
            Alias::new("count"),
        )
        .from_as(question::Entity, q.clone())
        .join_as(
            JoinType::InnerJoin,
            question::Entity,
            p.clone(),
            Expr::col((p.clone(), question::Column::Id))
                .equals((q.clone(), question::Column::NearDuplicateOf)),
        )
        // `> 0` (not IS NOT NULL) lets SQLite walk the near-duplicate index.
        .and_where(Expr::col((q.clone(), question::Column::NearDuplicateOf)).gt(0))
        .group_by_col((q.clone(), question::Column::Kind))
        .group_by_col((q.clone(), question::Column::Risk))
        .group_by_col((q.clone(), question::Column::Aspect))
        .group_by_col((q.clone(), question::Column::HighRisk))
        .group_by_col((q.clone(), question::Column::Status))
        .group_by_col((p.clone(), question::Column::Status))
        .to_owned();
    let statement = db.get_database_backend().build(&collapsed_query);
    let collapsed_groups = CollapsedGroup::find_by_statement(statement).all(db).await?;

    let mut rows = keyword_rows;
    rows.extend(question_groups.into_iter().map(|g| CountRow {
        lint_errors: count_of(linted_questions.get(&g.key())),
        entries: Entries::Question,
        kind: Some(g.kind),
        risk: g.risk,
        aspect: g.aspect,
        high_risk: g.high_risk,
        status: g.status,
        count: u64::try_from(g.count).unwrap_or(0),
        last_updated: g.last_updated,
    }));
    let collapsed = collapsed_groups
        .into_iter()
        .map(|g| CollapsedRow {
            row: CountRow {
                entries: Entries::Question,
                kind: Some(g.kind),
                risk: g.risk,
                aspect: g.aspect,
                high_risk: g.high_risk,
                status: g.status,
                count: u64::try_from(g.count).unwrap_or(0),
                lint_errors: 0,
                last_updated: None,
            },
            representative_status: g.representative_status,
        })
        .collect();
    Ok(Aggregates { rows, collapsed })
}
