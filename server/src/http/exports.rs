//! `/v1/exports/{file}`: the filing workbooks and CSV files.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::request_fields::{flag, id_parameter, optional};
use crate::domain::field_error::FieldError;
use crate::domain::status::{EntryStatus, QuestionKind};
use crate::domain::taxonomy_code::{AspectCode, RiskCode};
use crate::messages::msg;
use crate::services::exports::{self, ExportName, ExportSelection};
use crate::services::questions::QuestionFilter;
use crate::taxonomy::Taxonomy;

/// What to export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Statuses exported, comma-separated; default `approved`.
    pub status: Option<String>,
    /// Keywords only: the keywords compiled into this published build instead.
    #[param(value_type = Option<i64>)]
    pub build: Option<String>,
    /// Questions only: this kind.
    pub kind: Option<String>,
    /// Questions only: this risk code.
    pub risk: Option<String>,
    /// Questions only: this aspect code.
    pub aspect: Option<String>,
    /// Questions only: high-risk (`true`) or other (`false`) questions.
    #[param(value_type = Option<bool>)]
    pub high_risk: Option<String>,
    /// Questions only: the members of this frozen question set, as pinned (its name, version
    /// and member count head the summary sheet).
    #[param(value_type = Option<i64>)]
    pub set: Option<String>,
}

impl ExportQuery {
    fn parse(self, taxonomy: &Taxonomy) -> Result<ExportSelection, FieldError> {
        let statuses = EntryStatus::parse_counted(self.status.as_deref())?;
        let build = optional(self.build, |raw| {
            raw.parse::<i64>()
                .map_err(|_| FieldError::new("build", msg!("not_a_build_number", value = raw)))
        })?;
        let questions = QuestionFilter {
            kind: optional(self.kind, QuestionKind::parse)?,
            risk: optional(self.risk, |raw| RiskCode::parse(raw, taxonomy))?,
            aspect: optional(self.aspect, |raw| AspectCode::parse(raw, taxonomy))?,
            high_risk: optional(self.high_risk, |raw| flag("high_risk", raw))?,
            ..Default::default()
        };
        Ok(ExportSelection {
            statuses,
            build,
            questions,
            set: optional(self.set, |raw| id_parameter("set", raw))?,
        })
    }
}

/// Export the keyword list (附件4, without allow-list rows; the CSV files keep them with their
/// 处置) or the test sets (附件5), as XLSX or CSV (UTF-8 with BOM), or the 登记 layouts: the
/// keyword CSV (分类 / 关键词 / 处置 / 备注) and the test-set workbook (序号 / 问题表述 /
/// 预期输出结果 / 判定标准 / 风险类别 / 是否高风险 / 是否应拒答).
#[utoipa::path(get, path = "/v1/exports/{file}", tag = "imports",
    params(("file" = String, Path, description = "keywords.xlsx, keywords.csv, questions.xlsx, questions.csv, registration-keywords.csv or registration-questions.xlsx"), ExportQuery),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such export, build or question set", body = ErrorBody),
    ))]
pub async fn export_file(
    state: web::Data<AppState>,
    file: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let name = ExportName::parse(&file)?;
    let selection = query.into_inner().parse(&state.taxonomy)?;
    let bytes = exports::produce(&state, name, &selection).await?;
    Ok(HttpResponse::Ok()
        .content_type(name.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", name.as_str()),
        ))
        .body(bytes))
}
