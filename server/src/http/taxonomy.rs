//! `/v1/risks` and `/v1/aspects`: the taxonomy entries are tagged with.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::services::taxonomy;
use crate::store::entities::aspect::Model as Aspect;
use crate::store::entities::risk::Model as Risk;

/// The 31 risks of TC260-003 Appendix A, in the standard's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskList {
    pub items: Vec<Risk>,
}

/// The must-not-refuse aspects of TC260-003 §8.3, in the standard's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AspectList {
    pub items: Vec<Aspect>,
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
    let items = taxonomy::risks(&state.db).await?;
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
    let items = taxonomy::aspects(&state.db).await?;
    Ok(HttpResponse::Ok().json(AspectList { items }))
}
