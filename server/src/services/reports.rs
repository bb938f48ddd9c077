//! Dedup reports over the whole store: near-duplicate question clusters and keyword
//! collisions. Both read live (not retired) entries only.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, ServiceError, blocking};
use crate::dedup::Dedup;
use crate::dedup::collisions::{CollisionKind, KeyedKeyword, collisions};
use crate::dedup::near_duplicates::{clusters_of_buckets, words};
use crate::domain::status::{EntryStatus, KeywordKind};
use crate::fold::FoldProfile;
use crate::fold::profile::ProfileError;
use crate::store::entities::question::Model as Question;
use crate::store::entities::{keyword, question, question_band};

/// Questions that nearly duplicate each other.
#[derive(Debug)]
pub struct DuplicateCluster {
    /// The lowest similarity among the pairs that joined the cluster.
    pub min_similarity: f64,
    pub questions: Vec<Question>,
}

/// Clusters of live questions whose word sets are at least `threshold` similar.
pub async fn duplicate_questions(
    db: &DatabaseConnection,
    dedup: Arc<Dedup>,
    threshold: f64,
) -> Result<Vec<DuplicateCluster>, ServiceError> {
    let live: BTreeSet<i64> = question::Entity::find()
        .select_only()
        .column(question::Column::Id)
        .filter(question::Column::Status.ne(EntryStatus::Retired))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let bands: Vec<(i64, i64)> = question_band::Entity::find()
        .select_only()
        .columns([
            question_band::Column::Hash,
            question_band::Column::QuestionId,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let mut buckets: HashMap<i64, Vec<i64>> = HashMap::new();
    for (hash, id) in bands.into_iter().filter(|(_, id)| live.contains(id)) {
        buckets.entry(hash).or_default().push(id);
    }
    buckets.retain(|_, ids| ids.len() > 1);
    let involved: BTreeSet<i64> = buckets.values().flatten().copied().collect();
    let mut questions: HashMap<i64, Question> = HashMap::new();
    for chunk in involved.into_iter().collect::<Vec<_>>().chunks(500) {
        let rows = question::Entity::find()
            .filter(question::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        questions.extend(rows.into_iter().map(|q| (q.id, q)));
    }
    // Segmenting every involved question and clustering them is CPU work.
    let clusters = blocking::off_workers(move || {
        let question_words: HashMap<i64, BTreeSet<String>> = questions
            .values()
            .map(|q| (q.id, words(&dedup.profile, &dedup.near_duplicates, &q.text)))
            .collect();
        clusters_of_buckets(buckets.into_values(), &question_words, threshold)
            .into_iter()
            .map(|cluster| DuplicateCluster {
                min_similarity: cluster.min_similarity,
                questions: cluster
                    .members
                    .iter()
                    .filter_map(|id| questions.get(id).cloned())
                    .collect(),
            })
            .collect()
    })
    .await?;
    Ok(clusters)
}

/// Every live (not retired) keyword, in id order.
pub async fn live_keywords(db: &DatabaseConnection) -> Result<Vec<keyword::Model>, DbErr> {
    keyword::Entity::find()
        .filter(keyword::Column::Status.ne(EntryStatus::Retired))
        .order_by_asc(keyword::Column::Id)
        .all(db)
        .await
}

/// Every live (not retired) question, in id order.
pub async fn live_questions(db: &DatabaseConnection) -> Result<Vec<question::Model>, DbErr> {
    question::Entity::find()
        .filter(question::Column::Status.ne(EntryStatus::Retired))
        .order_by_asc(question::Column::Id)
        .all(db)
        .await
}

/// A keyword as a collision row names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeywordRef {
    pub id: i64,
    pub term: String,
    pub risk: String,
}

/// Two live keywords that overlap once folded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeywordCollision {
    /// `contained`: `first`'s folded key occurs inside `second`'s, so `second` intercepts
    /// nothing `first` does not. `same_key`: both fold to the same key.
    pub kind: &'static str,
    /// For `same_key`: the two are filed under different risks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub different_risks: Option<bool>,
    /// For `same_key`: they meet only through traditional → simplified conversion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub through_chinese_conversion: Option<bool>,
    pub first: KeywordRef,
    pub second: KeywordRef,
}

/// How many collisions of each sort there are.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CollisionCounts {
    pub contained: usize,
    pub same_key: usize,
    /// `same_key` rows whose keywords are filed under different risks.
    pub different_risks: usize,
    /// `same_key` rows that meet only through traditional → simplified conversion.
    pub through_chinese_conversion: usize,
}

/// Keyword collisions.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollisionsReport {
    pub total: usize,
    pub counts: CollisionCounts,
    /// The first `limit` rows.
    pub items: Vec<KeywordCollision>,
    pub truncated: bool,
}

/// The collisions among live keywords, counted by sort, with the first `limit` rows.
pub async fn collision_report(
    state: &AppState,
    limit: usize,
) -> Result<CollisionsReport, ServiceError> {
    let mut rows = keyword_collisions(&state.reads, state.dedup.clone()).await?;
    let mut counts = CollisionCounts::default();
    for row in &rows {
        match row.kind {
            "contained" => counts.contained += 1,
            _ => counts.same_key += 1,
        }
        counts.different_risks += usize::from(row.different_risks == Some(true));
        counts.through_chinese_conversion +=
            usize::from(row.through_chinese_conversion == Some(true));
    }
    let total = rows.len();
    rows.truncate(limit);
    Ok(CollisionsReport {
        total,
        counts,
        items: rows,
        truncated: total > limit,
    })
}

/// Every collision among live keywords; see `dedup::collisions`.
pub async fn keyword_collisions(
    db: &DatabaseConnection,
    dedup: Arc<Dedup>,
) -> Result<Vec<KeywordCollision>, ServiceError> {
    let rows: Vec<(i64, String, String, Option<String>)> = keyword::Entity::find()
        .select_only()
        .columns([
            keyword::Column::Id,
            keyword::Column::Term,
            keyword::Column::Risk,
            keyword::Column::DedupKey,
        ])
        .filter(keyword::Column::Status.ne(EntryStatus::Retired))
        // Allow-list entries contain block terms on purpose; all_of keys are no substrings.
        .filter(keyword::Column::Kind.eq(KeywordKind::Block))
        .into_tuple()
        .all(db)
        .await?;
    // Folding every keyword twice and matching them all is CPU work: off the async workers.
    let found = blocking::off_workers(move || -> Result<_, ProfileError> {
        let without_conversion = FoldProfile::shipped_without_chinese_conversion()?;
        let keyed: Vec<KeyedKeyword> = rows
            .into_iter()
            .map(|(id, term, risk, key)| KeyedKeyword {
                key: key.unwrap_or_else(|| dedup.profile.fold(&term)),
                key_without_chinese_conversion: without_conversion.fold(&term),
                id,
                term,
                risk,
            })
            .collect();
        let reference = |index: usize| KeywordRef {
            id: keyed[index].id,
            term: keyed[index].term.clone(),
            risk: keyed[index].risk.clone(),
        };
        Ok(collisions(&keyed)
            .into_iter()
            .map(|collision| {
                let (kind, different_risks, through_chinese_conversion) = match collision.kind {
                    CollisionKind::Contained => ("contained", None, None),
                    CollisionKind::SameKey {
                        different_risks,
                        through_chinese_conversion,
                    } => (
                        "same_key",
                        Some(different_risks),
                        Some(through_chinese_conversion),
                    ),
                };
                KeywordCollision {
                    kind,
                    different_risks,
                    through_chinese_conversion,
                    first: reference(collision.first),
                    second: reference(collision.second),
                }
            })
            .collect())
    })
    .await?;
    found.map_err(|error| ServiceError::Render(error.to_string()))
}
