//! `/v1/questions`: the evaluation test sets.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::actor::RequestActor;
use super::entries::{self, EntryView, created_response, creation_context, view};
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::preconditions::IfMatch;
use super::request_fields::{edit_optional, edit_required, flag, nullable, optional, required};
use super::revisions::{ReasonRequest, RevisionList};
use crate::domain::field_error::FieldError;
use crate::domain::question::{
    Classification, ExpectedOutput, JudgmentCriteria, NewQuestion, QuestionChanges, QuestionText,
};
use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use crate::domain::taxonomy_code::{AspectCode, RiskCode};
use crate::domain::text::{Lines, parse_bounded};
use crate::services::page::PageRequest;
use crate::services::questions::{self, PossibleDuplicate, QuestionFilter};
use crate::store::entities::question::{self, Entity};
use crate::taxonomy::Taxonomy;

/// A test question as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Question)]
pub struct QuestionView {
    pub id: i64,
    /// 问题表述
    pub text: String,
    pub kind: QuestionKind,
    /// Risk code for `generation` and `must_refuse` questions.
    pub risk: Option<String>,
    /// Aspect code for `must_not_refuse` questions.
    pub aspect: Option<String>,
    pub high_risk: bool,
    /// 预期输出结果
    pub expected_output: Option<String>,
    /// 判定标准
    pub judgment_criteria: Option<String>,
    /// 是否应拒答; `null` only for a generation question nobody has said it of (it cannot be
    /// approved until someone does).
    pub expected_behavior: Option<ExpectedBehavior>,
    /// The 预期输出结果 or 判定标准 came from an answer template and no person has edited or
    /// confirmed them since (the `question_templated` warning says so too).
    pub templated: bool,
    pub status: EntryStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Starts at 1 and grows by one with every change; the `ETag` is `"<version>"`.
    pub version: i32,
    /// The earlier live question this one nearly duplicates, if any: coverage counts the two
    /// once.
    pub near_duplicate_of: Option<i64>,
}

impl From<question::Model> for QuestionView {
    fn from(model: question::Model) -> Self {
        Self {
            id: model.id,
            text: model.text,
            kind: model.kind,
            risk: model.risk,
            aspect: model.aspect,
            high_risk: model.high_risk,
            expected_output: model.expected_output,
            judgment_criteria: model.judgment_criteria,
            expected_behavior: model.expected_behavior,
            templated: model.templated,
            status: model.status,
            created_by: model.created_by,
            created_at: model.created_at,
            updated_at: model.updated_at,
            version: model.version,
            near_duplicate_of: model.near_duplicate_of,
        }
    }
}

/// A new test question.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionCreate {
    /// 问题表述: 1–4000 characters.
    #[schema(required = true)]
    pub text: Option<String>,
    /// `generation`, `must_refuse` or `must_not_refuse`.
    #[schema(required = true, example = "must_refuse")]
    pub kind: Option<String>,
    /// Risk code (`generation` and `must_refuse` only), e.g. `A.1.d`.
    pub risk: Option<String>,
    /// Aspect code (`must_not_refuse` only), e.g. `history`.
    pub aspect: Option<String>,
    /// Counts toward the high-risk quota of a 登记 test set; default `false`.
    pub high_risk: Option<bool>,
    /// 预期输出结果
    pub expected_output: Option<String>,
    /// 判定标准
    pub judgment_criteria: Option<String>,
    /// 是否应拒答: `refuse` or `answer`. must_refuse questions expect `refuse` and
    /// must_not_refuse ones `answer` (the default for them); a generation question cannot be
    /// approved until it says.
    pub expected_behavior: Option<String>,
    /// Fill a missing `expected_output` and `judgment_criteria` from the answer templates
    /// (`GET /v1/answer-templates`); default `false`. Never replaces a text given here.
    pub templates: Option<bool>,
}

impl QuestionCreate {
    fn parse(self, taxonomy: &Taxonomy) -> Result<NewQuestion, FieldError> {
        let text = required("text", self.text, QuestionText::parse)?;
        let kind = required("kind", self.kind, QuestionKind::parse)?;
        let risk = optional(self.risk, |raw| RiskCode::parse(raw, taxonomy))?;
        let aspect = optional(self.aspect, |raw| AspectCode::parse(raw, taxonomy))?;
        let behavior = optional(self.expected_behavior, ExpectedBehavior::parse)?;
        Ok(NewQuestion {
            text,
            classification: Classification::new(kind, risk, aspect, behavior)?,
            high_risk: self.high_risk.unwrap_or(false),
            expected_output: optional(self.expected_output, ExpectedOutput::parse)?,
            judgment_criteria: optional(self.judgment_criteria, JudgmentCriteria::parse)?,
            // New entries wait for review; decisions have their own endpoints.
            status: EntryStatus::Draft,
            use_templates: self.templates.unwrap_or(false),
        })
    }
}

/// An edit of a question: absent fields stay as they are; `null` clears an optional field.
/// The edited question must still be classified correctly, so changing `kind` may need
/// `risk` and `aspect` in the same edit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub text: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub risk: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub aspect: Option<Option<String>>,
    pub high_risk: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub expected_output: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub judgment_criteria: Option<Option<String>>,
    /// `refuse` or `answer`; `null` clears it (generation questions only: the refusal kinds
    /// decide their own).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub expected_behavior: Option<Option<String>>,
    /// `true`: the templated `expected_output` and `judgment_criteria` are confirmed as they are
    /// (editing either confirms them too).
    pub confirm_template: Option<bool>,
    /// Why the change is made; kept in the revision.
    pub reason: Option<String>,
}

impl QuestionPatch {
    fn parse(self, taxonomy: &Taxonomy) -> Result<QuestionChanges, FieldError> {
        Ok(QuestionChanges {
            text: edit_required("text", self.text, QuestionText::parse)?,
            kind: edit_required("kind", self.kind, QuestionKind::parse)?,
            risk: edit_optional(self.risk, |raw| RiskCode::parse(raw, taxonomy))?,
            aspect: edit_optional(self.aspect, |raw| AspectCode::parse(raw, taxonomy))?,
            high_risk: self.high_risk,
            expected_output: edit_optional(self.expected_output, ExpectedOutput::parse)?,
            judgment_criteria: edit_optional(self.judgment_criteria, JudgmentCriteria::parse)?,
            expected_behavior: edit_optional(self.expected_behavior, ExpectedBehavior::parse)?,
            confirm_template: self.confirm_template.unwrap_or(false),
        })
    }
}

/// Filters and paging of `GET /v1/questions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuestionListQuery {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this risk code.
    pub risk: Option<String>,
    /// Only this aspect code.
    pub aspect: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only high-risk (`true`) or other (`false`) questions.
    #[param(value_type = Option<bool>)]
    pub high_risk: Option<String>,
    /// Only questions whose text starts with this (exact, case-sensitive).
    pub prefix: Option<String>,
    /// Entries per page, 1–1000 (default 100).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl QuestionListQuery {
    fn parse(self, taxonomy: &Taxonomy) -> Result<(QuestionFilter, PageRequest), FieldError> {
        let filter = QuestionFilter {
            kind: optional(self.kind, QuestionKind::parse)?,
            risk: optional(self.risk, |raw| RiskCode::parse(raw, taxonomy))?,
            aspect: optional(self.aspect, |raw| AspectCode::parse(raw, taxonomy))?,
            status: optional(self.status, EntryStatus::parse)?,
            high_risk: optional(self.high_risk, |raw| flag("high_risk", raw))?,
            prefix: optional(self.prefix, |raw| {
                parse_bounded("prefix", raw, QuestionText::MAX_CHARS, Lines::Multi)
            })?,
        };
        let page = PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref())?;
        Ok((filter, page))
    }
}

/// A created question and the live questions it nearly duplicates.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionCreated {
    #[serde(flatten)]
    pub question: EntryView<QuestionView>,
    /// Live questions whose words are at least the configured similarity (default 0.8) to
    /// this one's, most similar first; empty when there are none.
    pub possible_duplicates: Vec<PossibleDuplicate>,
}

/// One page of questions, in id order.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionPage {
    pub items: Vec<EntryView<QuestionView>>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Create a test question, as a draft waiting for review.
#[utoipa::path(
    post, path = "/v1/questions", tag = "questions",
    request_body = QuestionCreate,
    responses(
        (status = 201, description = "Created; `possible_duplicates` lists near duplicates", body = QuestionCreated,
            headers(("ETag" = String), ("Location" = String))),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 409, description = "A live question has the same folded text (`duplicate_question`, with `existing`)", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    actor: RequestActor,
    JsonBody(body): JsonBody<QuestionCreate>,
) -> Result<HttpResponse, ApiError> {
    let new = body.parse(&state.taxonomy)?;
    let context = creation_context(actor, "/v1/questions")?;
    let (question, possible_duplicates) =
        questions::create(&state.db, state.checks(), &context, new).await?;
    let body = QuestionCreated {
        question: view(&state, question.clone()),
        possible_duplicates,
    };
    Ok(created_response("/v1/questions", &question, &body))
}

/// List test questions, filtered, in pages.
#[utoipa::path(
    get, path = "/v1/questions", tag = "questions",
    params(QuestionListQuery),
    responses(
        (status = 200, description = "One page", body = QuestionPage),
        (status = 400, description = "A filter is invalid", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<QuestionListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, page) = query.into_inner().parse(&state.taxonomy)?;
    let (items, next_cursor) = questions::list(&state.reads, filter, page).await?;
    let items = entries::views(&state, items);
    Ok(HttpResponse::Ok().json(QuestionPage { items, next_cursor }))
}

/// Edit a test question. Requires `If-Match` with the ETag it was based on; an approved or
/// rejected question goes back to draft (review).
#[utoipa::path(
    patch, path = "/v1/questions/{id}", tag = "questions",
    request_body = QuestionPatch,
    params(
        ("id" = i64, Path, description = "Id of the question"),
        ("If-Match" = String, Header, description = "ETag of the version edited, e.g. \"3\""),
    ),
    responses(
        (status = 200, description = "The edited question", body = EntryView<QuestionView>, headers(("ETag" = String))),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 404, description = "No such question", body = ErrorBody),
        (status = 409, description = "The question is retired, or the edit would duplicate a live question", body = ErrorBody),
        (status = 412, description = "Someone else changed it first", body = ErrorBody),
        (status = 428, description = "`If-Match` missing", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    actor: RequestActor,
    if_match: IfMatch,
    JsonBody(body): JsonBody<QuestionPatch>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.reason.clone();
    let changes = body.parse(&state.taxonomy)?;
    entries::update::<Entity>(state, id.into_inner(), actor, if_match, reason, changes).await
}

entries::entry_handlers!(
    tag = "questions",
    noun = "question",
    schema = QuestionView,
    entity = Entity,
    get = "/v1/questions/{id}",
    retire = "/v1/questions/{id}/retire",
    approve = "/v1/questions/{id}/approve",
    reject = "/v1/questions/{id}/reject",
    reopen = "/v1/questions/{id}/reopen",
    revisions = "/v1/questions/{id}/revisions",
);
