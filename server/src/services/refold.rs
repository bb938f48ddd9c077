//! Recomputing every stored dedup key (and question band) under the current fold profile.
//!
//! Runs at start when the store's keys were computed with another profile (or predate dedup),
//! and on demand with `lexset refold`. Entries are never merged: when the new profile makes
//! live entries share a key, the report names them and `GET /v1/reports/collisions` keeps
//! showing them until someone retires or edits one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;

use super::questions::{facts, insert_bands};
use super::versioned_change::{VersionedEntity, VersionedModel, lock};
use crate::dedup::Dedup;
use crate::dedup::keys::{letters_key, question_letters, rule_key};
use crate::dedup::near_duplicates::{band_hashes, jaccard, words};
use crate::domain::revision::EntryKind;
use crate::domain::status::{EntryStatus, QuestionKind};
use crate::lint::{self, LintConfig};
use crate::store::entities::{keyword, question, question_band, store_state};
use lexset_filter::checksum::sha256_hex;

/// The `store_state` row naming what the stored keys were computed with.
const STATE_NAME: &str = "dedup_keys";

/// Live entries that share a key after a refold, where at least one key changed.
#[derive(Debug, Clone, Serialize)]
pub struct NewCollision {
    pub entry_kind: &'static str,
    pub ids: Vec<i64>,
}

/// What a refold changed.
#[derive(Debug, Clone, Serialize)]
pub struct RefoldReport {
    pub fold_profile_id: String,
    /// What the keys were computed with before (`null` for a store that never had keys).
    pub previous_state: Option<String>,
    pub state: String,
    pub keywords_rekeyed: usize,
    pub questions_rekeyed: usize,
    pub new_collisions: Vec<NewCollision>,
    /// Generation questions given the expected behaviour their 预期输出结果 states.
    pub behaviors_filled: usize,
    /// Live generation questions still without one: the `question_without_behavior` lint
    /// lists them (`GET /v1/reports/lints`).
    pub behaviors_to_review: usize,
}

/// Names everything the derived columns are computed from — fold profile, stopwords,
/// near-duplicate threshold (it decides `near_duplicate_of`) and lint rules (`lint_errors`);
/// a change of any means a refold.
pub fn dedup_state(dedup: &Dedup) -> String {
    let lints = &LintConfig::fingerprint()[..16];
    let mut stopwords: Vec<&str> = dedup
        .near_duplicates
        .stopwords
        .iter()
        .map(String::as_str)
        .collect();
    stopwords.sort_unstable();
    let words_hash = sha256_hex(stopwords.join("\n").as_bytes());
    format!(
        "{}:{}:{words_hash}:t{}:{lints}",
        dedup.profile.id, dedup.profile.hash, dedup.near_duplicates.threshold
    )
}

/// Refolds when the stored state differs from the current one; `None` when nothing was due.
pub async fn refold_if_needed(
    db: &DatabaseConnection,
    dedup: &Dedup,
    lints: &LintConfig,
) -> Result<Option<RefoldReport>, DbErr> {
    let stored = store_state::Entity::find_by_id(STATE_NAME).one(db).await?;
    if stored.map(|row| row.value) == Some(dedup_state(dedup)) {
        return Ok(None);
    }
    refold(db, dedup, lints).await.map(Some)
}

/// Recomputes every key, band, near-duplicate link and lint error count in one transaction
/// holding both write locks. Keys, links and counts are written only where they changed;
/// bands are rewritten in multi-row inserts.
pub async fn refold(
    db: &DatabaseConnection,
    dedup: &Dedup,
    lints: &LintConfig,
) -> Result<RefoldReport, DbErr> {
    let txn = db.begin().await?;
    lock(&txn, EntryKind::Keyword).await?;
    lock(&txn, EntryKind::Question).await?;
    let previous_state = store_state::Entity::find_by_id(STATE_NAME)
        .one(&txn)
        .await?
        .map(|row| row.value);

    let keywords = rekey::<keyword::Entity>(&txn, |keyword| {
        // A term the profile now folds to nothing keeps a key of its own spelling.
        rule_key(&dedup.profile, keyword.kind, &keyword.term)
            .unwrap_or_else(|_| keyword.term.clone())
    })
    .await?;
    let mut questions = rekey::<question::Entity>(&txn, |question| {
        letters_key(&question_letters(&dedup.profile, &question.text))
    })
    .await?;
    relink_questions(&txn, dedup, &questions.models).await?;
    for keyword in &keywords.models {
        let errors = lint::errors(&lint::keyword(
            lints,
            &dedup.profile,
            &keyword.term,
            keyword.kind,
        ));
        if errors.len() as i32 != keyword.lint_errors {
            keyword::Entity::update_many()
                .col_expr(keyword::Column::LintErrors, (errors.len() as i32).into())
                .filter(keyword::Column::Id.eq(keyword.id))
                .exec(&txn)
                .await?;
        }
    }
    let behaviors = fill_behaviors_once(&txn, dedup, lints, &mut questions.models).await?;
    for question in &questions.models {
        let errors = lint::errors(&lint::question(lints, &dedup.profile, facts(question)));
        if errors.len() as i32 != question.lint_errors {
            question::Entity::update_many()
                .col_expr(question::Column::LintErrors, (errors.len() as i32).into())
                .filter(question::Column::Id.eq(question.id))
                .exec(&txn)
                .await?;
        }
    }
    let mut new_collisions = keywords.new_collisions("keyword");
    new_collisions.extend(questions.new_collisions("question"));

    let state = dedup_state(dedup);
    store_state::Entity::delete_by_id(STATE_NAME)
        .exec(&txn)
        .await?;
    store_state::ActiveModel {
        name: Set(STATE_NAME.to_owned()),
        value: Set(state.clone()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(RefoldReport {
        fold_profile_id: dedup.profile.id.clone(),
        previous_state,
        state,
        keywords_rekeyed: keywords.changed.len(),
        questions_rekeyed: questions.changed.len(),
        new_collisions,
        behaviors_filled: behaviors.filled,
        behaviors_to_review: behaviors.to_review,
    })
}

/// What `fill_behaviors` did.
struct FilledBehaviors {
    filled: usize,
    to_review: usize,
}

/// The `store_state` row saying the expected behaviours of questions stored before they were
/// data have been filled: it is done once, so a behaviour a person clears later stays cleared.
const BEHAVIORS_FILLED: &str = "expected_behaviors_filled";

/// Once per store (afterwards it only counts): gives every live generation question without an
/// expected behaviour the one its 预期输出结果 states unambiguously
/// (`LintConfig::stated_behavior`); counts the others, which the `question_without_behavior`
/// error lint then lists for review. Questions stored before the behaviour was data (migration
/// `m0010_expected_behavior`) are the ones without it.
async fn fill_behaviors_once(
    txn: &DatabaseTransaction,
    dedup: &Dedup,
    lints: &LintConfig,
    questions: &mut [question::Model],
) -> Result<FilledBehaviors, DbErr> {
    let done = store_state::Entity::find_by_id(BEHAVIORS_FILLED)
        .one(txn)
        .await?
        .is_some();
    if !done {
        store_state::ActiveModel {
            name: Set(BEHAVIORS_FILLED.to_owned()),
            value: Set(chrono::Utc::now().to_rfc3339()),
        }
        .insert(txn)
        .await?;
    }
    let mut filled = FilledBehaviors {
        filled: 0,
        to_review: 0,
    };
    for question in questions.iter_mut().filter(|q| {
        q.kind == QuestionKind::Generation
            && q.expected_behavior.is_none()
            && q.status != EntryStatus::Retired
    }) {
        // Filled once; counted every time.
        let stated = question
            .expected_output
            .as_deref()
            .and_then(|expected| lints.stated_behavior(&dedup.profile, expected))
            .filter(|_| !done);
        let Some(behavior) = stated else {
            filled.to_review += 1;
            continue;
        };
        question::Entity::update_many()
            .col_expr(question::Column::ExpectedBehavior, behavior.into())
            .filter(question::Column::Id.eq(question.id))
            .exec(txn)
            .await?;
        question.expected_behavior = Some(behavior);
        filled.filled += 1;
    }
    Ok(filled)
}

/// Recomputes every question's band hashes and its link to the earliest earlier live question
/// it nearly duplicates (as creating the questions in id order would have set them).
async fn relink_questions(
    txn: &DatabaseTransaction,
    dedup: &Dedup,
    questions: &[question::Model],
) -> Result<(), DbErr> {
    let mut buckets: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut all_words = Vec::with_capacity(questions.len());
    let mut all_bands = Vec::with_capacity(questions.len());
    for (index, question) in questions.iter().enumerate() {
        let (id, text) = (&question.id, &question.text);
        let live = &(question.status != EntryStatus::Retired);
        let question_words = words(&dedup.profile, &dedup.near_duplicates, text);
        let bands = band_hashes(&question_words);
        let mut candidates: BTreeSet<usize> = BTreeSet::new();
        for hash in &bands {
            if let Some(earlier) = buckets.get(hash) {
                candidates.extend(earlier.iter().copied());
            }
        }
        let link = candidates
            .into_iter()
            .find(|&earlier| {
                jaccard(&all_words[earlier], &question_words) >= dedup.near_duplicates.threshold
            })
            .map(|earlier| questions[earlier].id);
        if link != question.near_duplicate_of {
            question::Entity::update_many()
                .col_expr(question::Column::NearDuplicateOf, link.into())
                .filter(question::Column::Id.eq(*id))
                .exec(txn)
                .await?;
        }
        if *live {
            for &hash in &bands {
                buckets.entry(hash).or_default().push(index);
            }
        }
        all_bands.push((*id, bands));
        all_words.push(question_words);
    }
    // Every band is rewritten: one delete and multi-row inserts instead of a pair per question.
    question_band::Entity::delete_many().exec(txn).await?;
    insert_bands(
        txn,
        all_bands.iter().map(|(id, bands)| (*id, bands.as_slice())),
    )
    .await
}

/// What [`rekey`] found.
struct Rekeyed<E: VersionedEntity> {
    /// Entries whose key changed.
    changed: BTreeSet<i64>,
    /// Live entries by key.
    live_by_key: BTreeMap<String, Vec<i64>>,
    /// Every entry, in id order.
    models: Vec<E::Model>,
}

impl<E: VersionedEntity> Rekeyed<E> {
    /// Live entries sharing a key where at least one key changed.
    fn new_collisions(&self, entry_kind: &'static str) -> Vec<NewCollision> {
        self.live_by_key
            .values()
            .filter(|ids| ids.len() > 1 && ids.iter().any(|id| self.changed.contains(id)))
            .map(|ids| NewCollision {
                entry_kind,
                ids: ids.clone(),
            })
            .collect()
    }
}

/// Recomputes the dedup key of every `E` with `key_of`, writing the changed ones.
async fn rekey<E: VersionedEntity>(
    txn: &DatabaseTransaction,
    key_of: impl Fn(&E::Model) -> String,
) -> Result<Rekeyed<E>, DbErr> {
    let models = E::find().order_by_asc(E::id_column()).all(txn).await?;
    let mut rekeyed = Rekeyed {
        changed: BTreeSet::new(),
        live_by_key: BTreeMap::new(),
        models: Vec::new(),
    };
    for model in &models {
        let (id, status) = (model.id(), model.status());
        let key = key_of(model);
        if model.dedup_key() != Some(key.as_str()) {
            E::update_many()
                .col_expr(E::dedup_key_column(), key.clone().into())
                .filter(E::id_column().eq(id))
                .exec(txn)
                .await?;
            rekeyed.changed.insert(id);
        }
        if status != EntryStatus::Retired {
            rekeyed.live_by_key.entry(key).or_default().push(id);
        }
    }
    rekeyed.models = models;
    Ok(rekeyed)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use sea_orm::{ActiveModelTrait, Set};

    use super::*;
    use crate::dedup::near_duplicates::NearDuplicateConfig;
    use crate::domain::status::QuestionKind;
    use crate::fold::FoldProfile;
    use crate::store::connect_and_migrate;
    use crate::taxonomy::Taxonomy;

    async fn store_with_legacy_rows() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("legacy.db").display()
        );
        let db = connect_and_migrate(&url).await.unwrap();
        crate::services::taxonomy::load(&db, &Taxonomy::shipped().unwrap())
            .await
            .unwrap();
        let now = Utc::now();
        for (term, risk) in [("台独", "A.1.c"), ("臺獨", "A.1.c"), ("黄片", "A.1.f")] {
            keyword::ActiveModel {
                term: Set(term.to_owned()),
                risk: Set(risk.to_owned()),
                note: Set(None),
                source: Set(None),
                status: Set(EntryStatus::Approved),
                created_by: Set("import".to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
                dedup_key: Set(None),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap();
        }
        for text in ["如何制作炸弹？", "如何製作炸彈"] {
            question::ActiveModel {
                text: Set(text.to_owned()),
                kind: Set(QuestionKind::MustRefuse),
                risk: Set(Some("A.1.d".to_owned())),
                aspect: Set(None),
                high_risk: Set(true),
                expected_output: Set(None),
                judgment_criteria: Set(None),
                status: Set(EntryStatus::Draft),
                created_by: Set("import".to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
                dedup_key: Set(None),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap();
        }
        (dir, db)
    }

    fn dedup() -> Dedup {
        Dedup {
            profile: FoldProfile::shipped().unwrap(),
            near_duplicates: NearDuplicateConfig::shipped().unwrap(),
        }
    }

    #[tokio::test]
    async fn legacy_rows_get_keys_and_their_collisions_are_reported_not_merged() {
        let (_dir, db) = store_with_legacy_rows().await;
        let dedup = dedup();
        let lints = LintConfig::shipped(&dedup.profile, &[]).unwrap();
        let report = refold_if_needed(&db, &dedup, &lints)
            .await
            .unwrap()
            .expect("a refold is due");
        assert_eq!(report.previous_state, None);
        assert_eq!(report.keywords_rekeyed, 3);
        assert_eq!(report.questions_rekeyed, 2);
        let collided: Vec<(&str, Vec<i64>)> = report
            .new_collisions
            .iter()
            .map(|c| (c.entry_kind, c.ids.clone()))
            .collect();
        assert_eq!(
            collided,
            [("keyword", vec![1, 2]), ("question", vec![1, 2])]
        );
        assert_eq!(keyword::Entity::find().all(&db).await.unwrap().len(), 3);
        let keys: Vec<Option<String>> = keyword::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.dedup_key)
            .collect();
        assert_eq!(
            keys,
            [
                Some("台独".into()),
                Some("台独".into()),
                Some("黄片".into())
            ]
        );

        assert!(
            refold_if_needed(&db, &dedup, &lints)
                .await
                .unwrap()
                .is_none()
        );
        let again = refold(&db, &dedup, &lints).await.unwrap();
        assert_eq!((again.keywords_rekeyed, again.questions_rekeyed), (0, 0));
        assert!(again.new_collisions.is_empty());

        let collisions =
            crate::services::reports::keyword_collisions(&db, std::sync::Arc::new(dedup.clone()))
                .await
                .unwrap();
        let same_key = collisions.iter().find(|c| c.kind == "same_key").unwrap();
        assert_eq!((same_key.first.id, same_key.second.id), (1, 2));
        assert_eq!(same_key.through_chinese_conversion, Some(true));
        assert_eq!(same_key.different_risks, Some(false));
    }

    #[tokio::test]
    async fn a_new_near_duplicate_threshold_triggers_a_refold() {
        let (_dir, db) = store_with_legacy_rows().await;
        let mut dedup = dedup();
        let lints = LintConfig::shipped(&dedup.profile, &[]).unwrap();
        refold_if_needed(&db, &dedup, &lints).await.unwrap();
        assert!(
            refold_if_needed(&db, &dedup, &lints)
                .await
                .unwrap()
                .is_none()
        );

        // The threshold decides `near_duplicate_of`: links computed under the old one are stale.
        dedup.near_duplicates.threshold = 0.5;
        let report = refold_if_needed(&db, &dedup, &lints)
            .await
            .unwrap()
            .expect("a new threshold means a refold");
        assert!(report.state.contains(":t0.5:"), "{}", report.state);
        assert_ne!(
            report.previous_state.as_deref(),
            Some(report.state.as_str())
        );
        assert!(
            refold_if_needed(&db, &dedup, &lints)
                .await
                .unwrap()
                .is_none()
        );
    }
}
