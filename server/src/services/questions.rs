//! Test-question operations.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::keywords::starts_with;
use super::page::PageRequest;
use super::revisions::ChangeContext;
use super::versioned_change::{self, ExpectedVersion, versioned_entity};
use super::{Checks, ServiceError};
use crate::answer_templates::AnswerTemplates;
use crate::dedup::Dedup;
use crate::dedup::keys::question_key;
use crate::dedup::near_duplicates::{band_hashes, jaccard, words};
use crate::domain::question::{Classification, NewQuestion, QuestionChanges};
use crate::domain::revision::EntryKind;
use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use crate::domain::taxonomy_code::{AspectCode, RiskCode};
use crate::lint::{self, QuestionFacts};
use crate::store::entities::question::{self, Column, Entity, Model};
use crate::store::entities::question_band;

versioned_entity!(Entity, Model, Column, EntryKind::Question);

/// Which questions a list returns.
#[derive(Debug, Clone, Default)]
pub struct QuestionFilter {
    pub kind: Option<QuestionKind>,
    pub risk: Option<RiskCode>,
    pub aspect: Option<AspectCode>,
    pub status: Option<EntryStatus>,
    pub high_risk: Option<bool>,
    /// Keep questions whose text starts with this (exact, case-sensitive).
    pub prefix: Option<String>,
}

/// What the lints look at in a stored question.
pub fn facts(question: &Model) -> QuestionFacts<'_> {
    QuestionFacts {
        text: &question.text,
        kind: question.kind,
        aspect: question.aspect.as_deref(),
        expected_output: question.expected_output.as_deref(),
        judgment_criteria: question.judgment_criteria.as_deref(),
        expected_behavior: question.expected_behavior,
        templated: question.templated,
    }
}

impl NewQuestionRow {
    /// Fills a missing 预期输出结果 and 判定标准 from the row's answer template, never a text
    /// it has; marks the row templated when it filled either.
    pub(crate) fn apply_template(&mut self, templates: &AnswerTemplates) {
        let Some(template) = templates.for_question(
            self.kind,
            self.expected_behavior,
            self.risk.as_deref(),
            self.aspect.as_deref(),
        ) else {
            return;
        };
        if self.expected_output.is_none() {
            self.expected_output = Some(template.expected_output.clone());
            self.templated = true;
        }
        if self.judgment_criteria.is_none() {
            self.judgment_criteria = Some(template.judgment_criteria.clone());
            self.templated = true;
        }
    }

    /// What the lints look at in this row.
    pub(crate) fn facts(&self) -> QuestionFacts<'_> {
        QuestionFacts {
            text: &self.text,
            kind: self.kind,
            aspect: self.aspect.as_deref(),
            expected_output: self.expected_output.as_deref(),
            judgment_criteria: self.judgment_criteria.as_deref(),
            expected_behavior: self.expected_behavior,
            templated: self.templated,
        }
    }

    /// The stored row of this question, written first by `actor` at `at` with dedup key `key`,
    /// linked to its earliest live near duplicate.
    pub(crate) fn into_active_model(
        self,
        key: &str,
        actor: &str,
        at: DateTime<Utc>,
        near_duplicate_of: Option<i64>,
    ) -> question::ActiveModel {
        question::ActiveModel {
            text: Set(self.text),
            kind: Set(self.kind),
            risk: Set(self.risk),
            aspect: Set(self.aspect),
            high_risk: Set(self.high_risk),
            expected_output: Set(self.expected_output),
            judgment_criteria: Set(self.judgment_criteria),
            expected_behavior: Set(self.expected_behavior),
            templated: Set(self.templated),
            status: Set(self.status),
            created_by: Set(actor.to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(1),
            dedup_key: Set(Some(key.to_owned())),
            near_duplicate_of: Set(near_duplicate_of),
            lint_errors: Set(self.lint_errors),
            ..Default::default()
        }
    }
}

/// A question that may duplicate the one being written.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PossibleDuplicate {
    pub id: i64,
    /// Jaccard similarity of the two questions' word sets, 0–1.
    pub similarity: f64,
}

/// At most this many possible duplicates are reported per question.
const MAX_POSSIBLE_DUPLICATES: usize = 20;

/// At most this many stored questions, those sharing the most near-duplicate bands, are
/// compared with a question being written.
const MAX_NEAR_DUPLICATE_CANDIDATES: usize = 256;

/// Stores a new question; returns it with the live questions it nearly duplicates.
pub async fn create(
    db: &DatabaseConnection,
    checks: Checks<'_>,
    context: &ChangeContext,
    new: NewQuestion,
) -> Result<(Model, Vec<PossibleDuplicate>), ServiceError> {
    let (dedup, lints) = (checks.dedup, checks.lints);
    let key = question_key(&dedup.profile, new.text.as_str())?;
    let classification = new.classification;
    let mut row = NewQuestionRow {
        text: new.text.into_inner(),
        kind: classification.kind(),
        risk: classification.risk().map(|r| r.as_str().to_owned()),
        aspect: classification.aspect().map(|a| a.as_str().to_owned()),
        high_risk: new.high_risk,
        expected_output: new.expected_output.map(|e| e.into_inner()),
        judgment_criteria: new.judgment_criteria.map(|j| j.into_inner()),
        expected_behavior: classification.behavior(),
        templated: false,
        status: new.status,
        lint_errors: 0,
    };
    if new.use_templates {
        row.apply_template(checks.templates);
    }
    row.lint_errors = super::lints::error_count(
        &lint::question(lints, &dedup.profile, row.facts()),
        row.status,
    )?;
    let txn = versioned_change::begin_write(db, EntryKind::Question).await?;
    let created = insert(&txn, dedup, context, &key, row).await?;
    super::audit::commit(txn, context.audit.as_ref(), Some(created.0.id)).await?;
    Ok(created)
}

/// The stored columns of a question written for the first time, already checked.
pub(crate) struct NewQuestionRow {
    pub text: String,
    pub kind: QuestionKind,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub high_risk: bool,
    pub expected_output: Option<String>,
    pub judgment_criteria: Option<String>,
    pub expected_behavior: Option<ExpectedBehavior>,
    /// The 预期输出结果 or 判定标准 came from an answer template.
    pub templated: bool,
    pub status: EntryStatus,
    pub lint_errors: i32,
}

/// Writes a new question inside `txn`, which holds the question write lock: with its first
/// revision and near-duplicate bands, linked to the earliest live near duplicate (questions
/// written earlier in the same transaction count). Returns it and its possible duplicates.
pub(crate) async fn insert(
    txn: &DatabaseTransaction,
    dedup: &Dedup,
    context: &ChangeContext,
    key: &str,
    row: NewQuestionRow,
) -> Result<(Model, Vec<PossibleDuplicate>), ServiceError> {
    let words = words(&dedup.profile, &dedup.near_duplicates, &row.text);
    let bands = band_hashes(&words);
    let possible = NearDuplicates::default()
        .find(txn, dedup, None, &words, &bands)
        .await?;
    let earliest = possible.iter().map(|p| p.id).min();
    let saved = versioned_change::create::<Entity>(txn, context, key, |at| {
        row.into_active_model(key, context.actor.as_str(), at, earliest)
    })
    .await?;
    insert_bands(txn, [(saved.id, bands.as_slice())]).await?;
    Ok((saved, possible))
}

/// Questions whose status is in `statuses` and that `filter` keeps (its `status` unused), in
/// id order: what exports and evaluations read.
pub async fn with_status(
    db: &DatabaseConnection,
    statuses: &[EntryStatus],
    filter: &QuestionFilter,
) -> Result<Vec<Model>, DbErr> {
    filtered(Entity::find(), filter)
        .filter(Column::Status.is_in(statuses.iter().copied()))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// `select` narrowed to what `filter` keeps, but for its status (callers differ in how they
/// choose statuses).
fn filtered(mut select: Select<Entity>, filter: &QuestionFilter) -> Select<Entity> {
    if let Some(kind) = filter.kind {
        select = select.filter(Column::Kind.eq(kind));
    }
    if let Some(risk) = &filter.risk {
        select = select.filter(Column::Risk.eq(risk.as_str()));
    }
    if let Some(aspect) = &filter.aspect {
        select = select.filter(Column::Aspect.eq(aspect.as_str()));
    }
    if let Some(high_risk) = filter.high_risk {
        select = select.filter(Column::HighRisk.eq(high_risk));
    }
    if let Some(prefix) = &filter.prefix {
        select = select.filter(starts_with(Column::Text, prefix.clone()));
    }
    select
}

/// Finds the live questions a question nearly duplicates. Keeps what it has read: the stored
/// questions of each band it has loaded (`load_bands`; an import loads a whole chunk's new
/// bands in a few queries, a single write its own 20) and of the questions the import wrote
/// (at most [`MAX_REMEMBERED_POSTINGS`]), and the words of the questions it has compared (at
/// most [`MAX_REMEMBERED_WORD_SETS`]): an import reads each stored band and splits each stored
/// question into words once, not once per question it is compared with. Only valid while the
/// write lock of questions is held: nothing else adds, changes or retires a question meanwhile.
#[derive(Debug, Default)]
pub(crate) struct NearDuplicates {
    words_of: HashMap<i64, BTreeSet<String>>,
    /// Band hash → the stored questions (live or not) with that band, for the hashes loaded.
    postings: HashMap<i64, Vec<i64>>,
    /// How many question ids `postings` holds.
    posted: usize,
    /// Stored questions found retired: never compared, never asked for again.
    retired: std::collections::HashSet<i64>,
}

/// Word sets a [`NearDuplicates`] keeps; past this it forgets them all and starts again (about
/// a kilobyte each: a B-tree of short strings; so up to about 200 MB).
const MAX_REMEMBERED_WORD_SETS: usize = 200_000;

/// Question ids a [`NearDuplicates`] keeps under the bands it has loaded; past this,
/// `forget_bands_if_full` forgets them all before the next chunk (one chunk's bands may go
/// beyond it). Mostly distinct bands cost about 80 bytes an id with the map's entries, so up
/// to about 300 MB.
const MAX_REMEMBERED_POSTINGS: usize = 4_000_000;

/// Band hashes per query when loading bands: two parameters' worth of room below any
/// database's limit.
const HASHES_PER_QUERY: usize = 500;

impl NearDuplicates {
    /// Remembers stored question `id` (one this import has just written): its words, and it
    /// among the questions of each of its bands already loaded.
    pub(crate) fn remember(&mut self, id: i64, words: BTreeSet<String>, bands: &[i64]) {
        if self.words_of.len() >= MAX_REMEMBERED_WORD_SETS {
            self.words_of.clear();
        }
        self.words_of.insert(id, words);
        for band in bands {
            if let Some(questions) = self.postings.get_mut(band) {
                questions.push(id);
                self.posted += 1;
            }
        }
    }

    /// Forgets the loaded bands once they hold [`MAX_REMEMBERED_POSTINGS`] ids (an import asks
    /// before each chunk: they are read again as needed).
    pub(crate) fn forget_bands_if_full(&mut self) {
        if self.posted >= MAX_REMEMBERED_POSTINGS {
            self.postings.clear();
            self.posted = 0;
        }
    }

    /// Loads the stored questions of every band in `bands` not loaded yet, from the index on
    /// (hash, question_id) alone.
    pub(crate) async fn load_bands(
        &mut self,
        txn: &DatabaseTransaction,
        bands: impl IntoIterator<Item = i64>,
    ) -> Result<(), DbErr> {
        let missing: BTreeSet<i64> = bands
            .into_iter()
            .filter(|band| !self.postings.contains_key(band))
            .collect();
        let missing: Vec<i64> = missing.into_iter().collect();
        for hashes in missing.chunks(HASHES_PER_QUERY) {
            let rows: Vec<(i64, i64)> = question_band::Entity::find()
                .select_only()
                .column(question_band::Column::Hash)
                .column(question_band::Column::QuestionId)
                .filter(question_band::Column::Hash.is_in(hashes.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            for &hash in hashes {
                self.postings.entry(hash).or_default();
            }
            self.posted += rows.len();
            for (hash, id) in rows {
                self.postings.entry(hash).or_default().push(id);
            }
        }
        Ok(())
    }

    /// Live questions (other than `except`) whose words are at least the threshold similar to
    /// `words_of_new`, most similar first.
    pub(crate) async fn find(
        &mut self,
        txn: &DatabaseTransaction,
        dedup: &Dedup,
        except: Option<i64>,
        words_of_new: &BTreeSet<String>,
        bands: &[i64],
    ) -> Result<Vec<PossibleDuplicate>, DbErr> {
        if bands.is_empty() {
            return Ok(Vec::new());
        }
        self.load_bands(txn, bands.iter().copied()).await?;
        // Every question sharing a band, ranked by the bands it shares.
        let mut shared: HashMap<i64, usize> = HashMap::new();
        for band in bands {
            for &id in self.postings.get(band).into_iter().flatten() {
                if Some(id) != except {
                    *shared.entry(id).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<(i64, usize)> = shared.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        // The live ones among them, at most `MAX_NEAR_DUPLICATE_CANDIDATES`, most bands first: a
        // band common to thousands of questions must not make one write compare against all
        // of them (retired questions keep their bands). Remembered words are of live
        // questions: nothing is retired while the write lock is held.
        if self.words_of.len() + MAX_NEAR_DUPLICATE_CANDIDATES > MAX_REMEMBERED_WORD_SETS {
            self.words_of.clear();
        }
        let mut candidate_ids = Vec::new();
        // Bounded IN lists: a common band can name more ids than a statement takes parameters.
        for window in ranked.chunks(500) {
            let unknown: Vec<i64> = window
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| !self.words_of.contains_key(id) && !self.retired.contains(id))
                .collect();
            if !unknown.is_empty() {
                let texts: Vec<(i64, String)> = Entity::find()
                    .select_only()
                    .column(Column::Id)
                    .column(Column::Text)
                    .filter(Column::Id.is_in(unknown.iter().copied()))
                    .filter(Column::Status.ne(EntryStatus::Retired))
                    .into_tuple()
                    .all(txn)
                    .await?;
                for (id, text) in texts {
                    let words = words(&dedup.profile, &dedup.near_duplicates, &text);
                    self.words_of.insert(id, words);
                }
                self.retired.extend(
                    unknown
                        .into_iter()
                        .filter(|id| !self.words_of.contains_key(id)),
                );
            }
            candidate_ids.extend(
                window
                    .iter()
                    .map(|(id, _)| *id)
                    .filter(|id| self.words_of.contains_key(id)),
            );
            if candidate_ids.len() >= MAX_NEAR_DUPLICATE_CANDIDATES {
                candidate_ids.truncate(MAX_NEAR_DUPLICATE_CANDIDATES);
                break;
            }
        }
        let mut found: Vec<PossibleDuplicate> = candidate_ids
            .into_iter()
            .filter_map(|id| {
                let similarity = jaccard(words_of_new, self.words_of.get(&id)?);
                (similarity >= dedup.near_duplicates.threshold)
                    .then_some(PossibleDuplicate { id, similarity })
            })
            .collect();
        found.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.id.cmp(&b.id)));
        found.truncate(MAX_POSSIBLE_DUPLICATES);
        Ok(found)
    }
}

/// Replaces the stored band hashes of question `id`.
pub async fn replace_bands(txn: &DatabaseTransaction, id: i64, bands: &[i64]) -> Result<(), DbErr> {
    question_band::Entity::delete_many()
        .filter(question_band::Column::QuestionId.eq(id))
        .exec(txn)
        .await?;
    insert_bands(txn, [(id, bands)]).await
}

/// Stores the band hashes of new questions, in multi-row inserts of bounded size.
pub(crate) async fn insert_bands<'a>(
    txn: &DatabaseTransaction,
    questions: impl IntoIterator<Item = (i64, &'a [i64])>,
) -> Result<(), DbErr> {
    let rows: Vec<_> = questions
        .into_iter()
        .flat_map(|(id, bands)| {
            bands.iter().map(move |&hash| question_band::ActiveModel {
                question_id: Set(id),
                hash: Set(hash),
                ..Default::default()
            })
        })
        .collect();
    for chunk in rows.chunks(BAND_ROWS_PER_INSERT) {
        question_band::Entity::insert_many(chunk.iter().cloned())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Band rows per insert: two parameters each, far below any database's parameter limit.
const BAND_ROWS_PER_INSERT: usize = 2_000;

pub async fn get(db: &DatabaseConnection, id: i64) -> Result<Model, ServiceError> {
    versioned_change::get::<Entity>(db, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    filter: QuestionFilter,
    page: PageRequest,
) -> Result<(Vec<Model>, Option<String>), ServiceError> {
    let mut select = filtered(Entity::find(), &filter);
    if let Some(status) = filter.status {
        select = select.filter(Column::Status.eq(status));
    }
    versioned_change::list_page(db, select, page).await
}

pub async fn update(
    db: &DatabaseConnection,
    checks: Checks<'_>,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    changes: QuestionChanges,
) -> Result<Model, ServiceError> {
    let (dedup, lints, taxonomy) = (checks.dedup, checks.lints, checks.taxonomy);
    let txn = versioned_change::begin_write(db, EntryKind::Question).await?;
    // A new text may nearly duplicate another earlier question.
    let new_link = match &changes.text {
        Some(text) => {
            let new_words = words(&dedup.profile, &dedup.near_duplicates, text.as_str());
            let possible = NearDuplicates::default()
                .find(&txn, dedup, Some(id), &new_words, &band_hashes(&new_words))
                .await?;
            Some(
                possible
                    .iter()
                    .map(|p| p.id)
                    .filter(|other| *other < id)
                    .min(),
            )
        }
        None => None,
    };
    let saved = versioned_change::edit::<Entity>(&txn, id, expected_version, context, |current| {
        // The stored codes were valid when written; re-parse them so the edited whole is
        // checked by the same rule as a new question.
        let stored_risk = match (&changes.risk, &current.risk) {
            (Some(risk), _) => risk.clone(),
            (None, Some(code)) => Some(RiskCode::parse(code, taxonomy)?),
            (None, None) => None,
        };
        let stored_aspect = match (&changes.aspect, &current.aspect) {
            (Some(aspect), _) => aspect.clone(),
            (None, Some(code)) => Some(AspectCode::parse(code, taxonomy)?),
            (None, None) => None,
        };
        let kind = changes.kind.unwrap_or(current.kind);
        // A behaviour not named in the edit is kept, unless a new refusal kind decides it.
        let behavior = match changes.expected_behavior {
            Some(behavior) => behavior,
            None if ExpectedBehavior::of_kind(kind).is_some() => None,
            None => current.expected_behavior,
        };
        let classification = Classification::new(kind, stored_risk, stored_aspect, behavior)?;
        let mut next = current.clone();
        next.kind = classification.kind();
        next.risk = classification.risk().map(|r| r.as_str().to_owned());
        next.aspect = classification.aspect().map(|a| a.as_str().to_owned());
        next.expected_behavior = classification.behavior();
        // A person who edits either templated text, or confirms them, makes them theirs.
        if changes.confirm_template
            || changes.expected_output.is_some()
            || changes.judgment_criteria.is_some()
        {
            next.templated = false;
        }
        if let Some(text) = changes.text {
            next.text = text.into_inner();
        }
        if let Some(high_risk) = changes.high_risk {
            next.high_risk = high_risk;
        }
        if let Some(expected_output) = changes.expected_output {
            next.expected_output = expected_output.map(|e| e.into_inner());
        }
        if let Some(judgment_criteria) = changes.judgment_criteria {
            next.judgment_criteria = judgment_criteria.map(|j| j.into_inner());
        }
        if next.text != current.text {
            next.dedup_key = Some(question_key(&dedup.profile, &next.text)?);
            if let Some(link) = new_link {
                next.near_duplicate_of = link;
            }
        }
        // Confirming templated texts changes no content: it sends nothing back to review.
        let mut content = next.clone();
        content.templated = current.templated;
        if content != *current {
            versioned_change::back_to_review(current, &mut next);
        }
        next.lint_errors = super::lints::error_count(
            &lint::question(lints, &dedup.profile, facts(&next)),
            next.status,
        )?;
        Ok(next)
    })
    .await?;
    let words = words(&dedup.profile, &dedup.near_duplicates, &saved.text);
    replace_bands(&txn, id, &band_hashes(&words)).await?;
    super::audit::commit(txn, context.audit.as_ref(), None).await?;
    Ok(saved)
}

impl versioned_change::Editable for Entity {
    type Changes = QuestionChanges;

    fn update_entry(
        db: &DatabaseConnection,
        checks: Checks<'_>,
        id: i64,
        expected_version: &ExpectedVersion,
        context: &ChangeContext,
        changes: QuestionChanges,
    ) -> impl Future<Output = Result<Model, ServiceError>> {
        update(db, checks, id, expected_version, context, changes)
    }
}
