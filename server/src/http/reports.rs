//! `/v1/reports`: dedup reports over the whole store.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::questions::QuestionView;
use super::request_fields::optional;
use crate::dedup::near_duplicates::check_threshold;
use crate::domain::field_error::FieldError;
use crate::domain::text::whole_number;
use crate::messages::msg;
use crate::services::reports::{self, CollisionsReport, DuplicateCluster};

/// Parameters of `GET /v1/reports/duplicates`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DuplicatesQuery {
    /// Which entries: `question` (keywords are deduplicated exactly; see collisions).
    pub kind: Option<String>,
    /// Jaccard similarity, above 0 and at most 1; default from `seeds/near-duplicates.toml`.
    #[param(value_type = Option<f64>)]
    pub threshold: Option<String>,
}

/// Questions that nearly duplicate each other.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DuplicateCluster)]
pub struct DuplicateClusterView {
    /// The lowest similarity among the pairs that joined the cluster.
    pub min_similarity: f64,
    pub questions: Vec<QuestionView>,
}

impl From<DuplicateCluster> for DuplicateClusterView {
    fn from(cluster: DuplicateCluster) -> Self {
        Self {
            min_similarity: cluster.min_similarity,
            questions: cluster
                .questions
                .into_iter()
                .map(QuestionView::from)
                .collect(),
        }
    }
}

/// Near-duplicate clusters.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatesReport {
    pub kind: &'static str,
    pub threshold: f64,
    pub clusters: Vec<DuplicateClusterView>,
}

/// Clusters of live questions that nearly duplicate each other.
#[utoipa::path(
    get, path = "/v1/reports/duplicates", tag = "reports",
    params(DuplicatesQuery),
    responses(
        (status = 200, description = "The clusters", body = DuplicatesReport),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    )
)]
pub async fn duplicates(
    state: web::Data<AppState>,
    query: web::Query<DuplicatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if let Some(kind) = query.kind.as_deref().filter(|kind| *kind != "question") {
        return Err(
            FieldError::new("kind", msg!("duplicates_of_questions_only", kind = kind)).into(),
        );
    }
    let threshold = optional(query.threshold, |raw| {
        raw.parse::<f64>()
            .map_err(|_| msg!("not_a_number", field = "threshold", value = raw))
            .and_then(check_threshold)
            .map_err(|message| FieldError::new("threshold", message))
    })?
    .unwrap_or(state.dedup.near_duplicates.threshold);
    let clusters =
        reports::duplicate_questions(&state.reads, state.dedup.clone(), threshold).await?;
    Ok(HttpResponse::Ok().json(DuplicatesReport {
        kind: "question",
        threshold,
        clusters: clusters
            .into_iter()
            .map(DuplicateClusterView::from)
            .collect(),
    }))
}

/// Parameters of `GET /v1/reports/collisions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CollisionsQuery {
    /// Rows returned, 1–100000 (default 1000); `counts` always covers all.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

pub const MAX_COLLISION_ROWS: usize = 100_000;

/// Live keywords that overlap once folded: contained in another, or the same folded key.
#[utoipa::path(
    get, path = "/v1/reports/collisions", tag = "reports",
    params(CollisionsQuery),
    responses(
        (status = 200, description = "The collisions", body = CollisionsReport),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    )
)]
pub async fn collisions(
    state: web::Data<AppState>,
    query: web::Query<CollisionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = optional(query.into_inner().limit, |raw| {
        whole_number(raw)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| (1..=MAX_COLLISION_ROWS).contains(n))
            .ok_or_else(|| {
                FieldError::new(
                    "limit",
                    msg!("limit_range", max = MAX_COLLISION_ROWS, value = raw),
                )
            })
    })?
    .unwrap_or(1000);
    Ok(HttpResponse::Ok().json(reports::collision_report(&state, limit).await?))
}
