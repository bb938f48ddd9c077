//! `/v1/risks` and `/v1/aspects`: the taxonomy entries are tagged with.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::services::taxonomy;
use crate::store::entities::{aspect, risk};

/// A risk of TC260-003 Appendix A.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Risk)]
pub struct RiskView {
    /// e.g. `A.1.a`
    pub code: String,
    /// The standard's own wording.
    pub name_zh: String,
    pub name_en: String,
    /// `A.1` … `A.5`
    pub group_code: String,
    pub group_name_zh: String,
    pub group_name_en: String,
}

impl From<risk::Model> for RiskView {
    fn from(model: risk::Model) -> Self {
        Self {
            code: model.code,
            name_zh: model.name_zh,
            name_en: model.name_en,
            group_code: model.group_code,
            group_name_zh: model.group_name_zh,
            group_name_en: model.group_name_en,
        }
    }
}

/// An aspect a must-not-refuse question covers (TC260-003 §8.3).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Aspect)]
pub struct AspectView {
    /// e.g. `history`
    pub code: String,
    /// The standard's own wording, e.g. 历史.
    pub name_zh: String,
    pub name_en: String,
    /// `country` (我国制度 … 英烈) or `individual` (性别、年龄、职业、健康).
    pub scope: String,
}

impl From<aspect::Model> for AspectView {
    fn from(model: aspect::Model) -> Self {
        Self {
            code: model.code,
            name_zh: model.name_zh,
            name_en: model.name_en,
            scope: model.scope,
        }
    }
}

/// The 31 risks of TC260-003 Appendix A, in the standard's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskList {
    pub items: Vec<RiskView>,
}

/// The must-not-refuse aspects of TC260-003 §8.3, in the standard's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AspectList {
    pub items: Vec<AspectView>,
}

/// The risk taxonomy.
#[utoipa::path(
    get, path = "/v1/risks", tag = "taxonomy",
    responses(
        (status = 200, description = "The 31 risks", body = RiskList),
        (status = 500, description = "Internal error", body = ErrorBody),
    )
)]
pub async fn risks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = taxonomy::risks(&state.reads)
        .await?
        .into_iter()
        .map(RiskView::from)
        .collect();
    Ok(HttpResponse::Ok().json(RiskList { items }))
}

/// The must-not-refuse aspects.
#[utoipa::path(
    get, path = "/v1/aspects", tag = "taxonomy",
    responses(
        (status = 200, description = "The 13 aspects", body = AspectList),
        (status = 500, description = "Internal error", body = ErrorBody),
    )
)]
pub async fn aspects(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = taxonomy::aspects(&state.reads)
        .await?
        .into_iter()
        .map(AspectView::from)
        .collect();
    Ok(HttpResponse::Ok().json(AspectList { items }))
}
