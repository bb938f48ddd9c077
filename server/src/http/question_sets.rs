//! `/v1/question-sets`: frozen question sets — create (by ids, filter, sampler or the 登记
//! composer; `dry_run` previews), list, get with counts, members at their pinned revision,
//! diff, retire.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::actor::RequestActor;
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::request_fields::{JsonInt, NewestQuery, PageQuery, flag, int, ints, optional};
use crate::domain::field_error::FieldError;
use crate::domain::question_set::{SetDescription, SetName};
use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use crate::sampling::Stratum;
use crate::services::question_sets::{
    self, NewSet, PinnedMember, Pool, Recipe, RecipeRequest, SetCounts, SetDiff,
};
use crate::store::entities::question_set;
use crate::taxonomy::Taxonomy;

/// Which approved questions a set draws from.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolRequest {
    /// Question kinds (`generation`, `must_refuse`, `must_not_refuse`); empty: all.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Risk codes or groups (`A.1`, `A.2.c`); empty: all.
    #[serde(default)]
    pub risks: Vec<String>,
    /// Aspect codes; empty: all.
    #[serde(default)]
    pub aspects: Vec<String>,
    pub high_risk: Option<bool>,
    /// Expected behaviours (`refuse`, `answer`); empty: all.
    #[serde(default)]
    pub behaviors: Vec<String>,
}

impl PoolRequest {
    fn parse(self) -> Result<Pool, FieldError> {
        Ok(Pool {
            kinds: self
                .kinds
                .iter()
                .map(|k| QuestionKind::parse(k))
                .collect::<Result<_, _>>()?,
            risks: self.risks,
            aspects: self.aspects,
            high_risk: self.high_risk,
            behaviors: self
                .behaviors
                .iter()
                .map(|b| ExpectedBehavior::parse(b))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A new question set. `method` (or a `preset`) says how its members are chosen:
/// `ids` (the `ids` given), `filter` (every approved question `pool` keeps), `sample` (a
/// stratified random sample of `pool`) or `compose` (the 登记 composer). Presets:
/// `tc260-9.3` (≥ 1 000 generation questions, every risk), `tc260-9.4` (300 must-refuse +
/// 300 must-not-refuse), `registration` (1 000 questions, ≥ 500 high-risk, ≤ 50 expected
/// refusals, 20 high-risk answer questions in each of the 17 A.1 / A.2 risks); fields given
/// beside a preset override its values. The seed is recorded: the same seed on the same store
/// chooses the same questions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCreate {
    pub name: String,
    pub description: Option<String>,
    /// Preview the members and counts without storing a set.
    #[serde(default)]
    pub dry_run: bool,
    /// `ids`, `filter`, `sample` or `compose`; implied by `preset`.
    pub method: Option<String>,
    /// `tc260-9.3`, `tc260-9.4` or `registration`.
    pub preset: Option<String>,
    /// `ids`: the questions (approved).
    #[schema(value_type = Option<Vec<i64>>)]
    pub ids: Option<Vec<JsonInt<i64>>>,
    /// `filter`, `sample`.
    pub pool: Option<PoolRequest>,
    /// `sample`: `risk`, `aspect` or `kind`.
    pub stratify_by: Option<String>,
    /// `sample` (proportional), `compose`: how many in all.
    #[schema(value_type = Option<u64>)]
    pub size: Option<JsonInt<u64>>,
    /// `sample` (fixed): how many from each stratum.
    #[schema(value_type = Option<u64>)]
    pub per_stratum: Option<JsonInt<u64>>,
    /// `sample`: at least this many from every stratum.
    #[schema(value_type = Option<u64>)]
    pub min_per_stratum: Option<JsonInt<u64>>,
    /// `sample`: strata drawn from even when the pool has none there (reported short).
    pub required_strata: Option<Vec<String>>,
    /// `sample`: leave out the members of these sets (last month's sample, say).
    #[schema(value_type = Option<Vec<i64>>)]
    pub exclude_sets: Option<Vec<JsonInt<i64>>>,
    /// `sample`: leave out questions that nearly duplicate an earlier one (default true).
    pub exclude_near_duplicates: Option<bool>,
    /// `sample`, `compose`: the random seed (default: a new one, recorded).
    #[schema(value_type = Option<u64>)]
    pub seed: Option<JsonInt<u64>>,
    /// `compose`.
    #[schema(value_type = Option<u64>)]
    pub min_high_risk: Option<JsonInt<u64>>,
    /// `compose`.
    #[schema(value_type = Option<u64>)]
    pub max_refusals: Option<JsonInt<u64>>,
    /// `compose`: high-risk answer questions per risk of `risks`.
    #[schema(value_type = Option<u64>)]
    pub min_per_risk: Option<JsonInt<u64>>,
    /// `compose`: risk codes each given `min_per_risk` (default the 17 of A.1 and A.2).
    pub risks: Option<Vec<String>>,
}

impl SetCreate {
    fn parse(self, taxonomy: &Taxonomy) -> Result<(NewSet, bool), FieldError> {
        let name = SetName::parse(&self.name)?;
        let description = optional(self.description, SetDescription::parse)?;
        let stratify_by = optional(self.stratify_by, Stratum::parse)?;
        let recipe = RecipeRequest {
            method: self.method,
            preset: self.preset,
            ids: ints(self.ids),
            pool: self.pool.map(PoolRequest::parse).transpose()?,
            stratify_by,
            size: int(self.size),
            per_stratum: int(self.per_stratum),
            min_per_stratum: int(self.min_per_stratum),
            required_strata: self.required_strata,
            exclude_sets: ints(self.exclude_sets),
            exclude_near_duplicates: self.exclude_near_duplicates,
            seed: int(self.seed),
            min_high_risk: int(self.min_high_risk),
            max_refusals: int(self.max_refusals),
            min_per_risk: int(self.min_per_risk),
            risks: self.risks,
        }
        .recipe(taxonomy)?;
        let new = NewSet {
            name,
            description,
            recipe,
        };
        Ok((new, self.dry_run))
    }
}

/// A frozen question set.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetView {
    pub id: i64,
    pub name: String,
    /// 1 for the first set of this name, then one more per later set of the same name.
    pub version: i32,
    pub description: Option<String>,
    pub member_count: i64,
    /// How the members were chosen, with the seed used.
    pub recipe: serde_json::Value,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub retired_by: Option<String>,
    pub retired_at: Option<DateTime<Utc>>,
    /// Members by kind, risk, aspect, behaviour and high risk (single sets only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<SetCounts>,
}

impl SetView {
    fn new(set: question_set::Model, counts: Option<SetCounts>) -> Self {
        Self {
            id: set.id,
            name: set.name,
            version: set.version,
            description: set.description,
            member_count: set.member_count,
            recipe: serde_json::from_str(&set.recipe).unwrap_or(serde_json::Value::Null),
            created_by: set.created_by,
            created_at: set.created_at,
            retired_by: set.retired_by,
            retired_at: set.retired_at,
            counts,
        }
    }
}

/// What a `dry_run` would freeze.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetPreview {
    #[schema(value_type = Object)]
    pub recipe: Recipe,
    pub member_ids: Vec<i64>,
    pub counts: SetCounts,
}

/// Create (freeze) a question set, or preview one with `dry_run`.
#[utoipa::path(
    post, path = "/v1/question-sets", tag = "question-sets",
    request_body = SetCreate,
    responses(
        (status = 201, description = "Frozen; `Location` is the set", body = SetView, headers(("Location" = String))),
        (status = 200, description = "`dry_run`: the members it would hold", body = SetPreview),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "An excluded set does not exist", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "The approved questions cannot make the set (`set_unsatisfiable`, with `shortfalls`), or a question is not approved", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<SetCreate>,
) -> Result<HttpResponse, ApiError> {
    let (new, dry_run) = body.parse(&state.taxonomy)?;
    let audit = actor.audit_created(StatusCode::CREATED, "/v1/question-sets");
    let composed = question_sets::create(&state, new, dry_run, &audit).await?;
    Ok(match composed.set {
        Some(set) => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/question-sets/{}", set.id)))
            .json(SetView::new(set, Some(composed.counts))),
        None => HttpResponse::Ok().json(SetPreview {
            recipe: composed.recipe,
            member_ids: composed.member_ids,
            counts: composed.counts,
        }),
    })
}

/// Parameters of the set list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SetListQuery {
    /// List retired sets too (default `false`).
    #[param(value_type = Option<bool>)]
    pub include_retired: Option<String>,
    /// Sets returned, 1–1000 (default 100), newest first.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

/// Question sets.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetList {
    pub items: Vec<SetView>,
}

/// The question sets, newest first.
#[utoipa::path(
    get, path = "/v1/question-sets", tag = "question-sets",
    params(SetListQuery),
    responses(
        (status = 200, description = "The sets", body = SetList),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<SetListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let include_retired =
        optional(query.include_retired, |raw| flag("include_retired", raw))?.unwrap_or(false);
    let limit = NewestQuery { limit: query.limit }.limit()?;
    let items = question_sets::list(&state.reads, include_retired, limit)
        .await?
        .into_iter()
        .map(|set| SetView::new(set, None))
        .collect();
    Ok(HttpResponse::Ok().json(SetList { items }))
}

/// A question set with its members' counts.
#[utoipa::path(
    get, path = "/v1/question-sets/{id}", tag = "question-sets",
    params(("id" = i64, Path, description = "Set id")),
    responses(
        (status = 200, description = "The set", body = SetView),
        (status = 404, description = "No such set", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (set, counts) = question_sets::with_counts(&state.reads, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SetView::new(set, Some(counts))))
}

/// A member as it was frozen, and where its question stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub question_id: i64,
    /// The question's version when frozen.
    pub revision: i32,
    pub text: String,
    pub kind: QuestionKind,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub high_risk: bool,
    pub expected_behavior: Option<ExpectedBehavior>,
    pub expected_output: Option<String>,
    pub judgment_criteria: Option<String>,
    pub status: EntryStatus,
    /// The question's version now (above `revision` when edited since).
    pub current_version: i32,
    pub current_status: EntryStatus,
}

impl From<PinnedMember> for MemberView {
    fn from(pinned: PinnedMember) -> Self {
        let m = pinned.member;
        Self {
            question_id: m.question_id,
            revision: m.revision,
            text: m.text,
            kind: m.kind,
            risk: m.risk,
            aspect: m.aspect,
            high_risk: m.high_risk,
            expected_behavior: m.expected_behavior,
            expected_output: m.expected_output,
            judgment_criteria: m.judgment_criteria,
            status: m.status,
            current_version: pinned.current_version,
            current_status: pinned.current_status,
        }
    }
}

/// One page of a set's members.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberView>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A set's members at their pinned revision, in question id order.
#[utoipa::path(
    get, path = "/v1/question-sets/{id}/members", tag = "question-sets",
    params(("id" = i64, Path, description = "Set id"), PageQuery),
    responses(
        (status = 200, description = "One page", body = MemberPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such set", body = ErrorBody),
    )
)]
pub async fn members(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let (items, next_cursor) = question_sets::members(&state.reads, id.into_inner(), page).await?;
    let items = items.into_iter().map(MemberView::from).collect();
    Ok(HttpResponse::Ok().json(MemberPage { items, next_cursor }))
}

/// What set `to` adds, removes and pins differently from set `from`.
#[utoipa::path(
    get, path = "/v1/question-sets/{from}/diff/{to}", tag = "question-sets",
    params(
        ("from" = i64, Path, description = "The earlier set"),
        ("to" = i64, Path, description = "The later set"),
    ),
    responses(
        (status = 200, description = "The difference", body = SetDiff),
        (status = 404, description = "No such set", body = ErrorBody),
    )
)]
pub async fn diff(
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = path.into_inner();
    Ok(HttpResponse::Ok().json(question_sets::diff(&state.reads, from, to).await?))
}

/// Retire a set: it stays readable and exportable; samplers stop counting its members as used.
#[utoipa::path(
    post, path = "/v1/question-sets/{id}/retire", tag = "question-sets",
    params(("id" = i64, Path, description = "Set id")),
    responses(
        (status = 200, description = "Retired", body = SetView),
        (status = 404, description = "No such set", body = ErrorBody),
        (status = 409, description = "Already retired", body = ErrorBody),
    )
)]
pub async fn retire(
    state: web::Data<AppState>,
    actor: RequestActor,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let set =
        question_sets::retire(&state.db, id.into_inner(), &actor.audit(StatusCode::OK)).await?;
    Ok(HttpResponse::Ok().json(SetView::new(set, None)))
}
