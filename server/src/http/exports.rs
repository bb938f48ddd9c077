//! `/v1/exports/{file}`: the filing workbooks and CSV files.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::request_fields::optional;
use crate::domain::field_error::FieldError;
use crate::domain::status::EntryStatus;
use crate::messages::msg;
use crate::services::exports::{self, ExportName};

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
}

impl ExportQuery {
    fn parse(self) -> Result<(Vec<EntryStatus>, Option<i64>), FieldError> {
        let statuses = EntryStatus::parse_counted(self.status.as_deref())?;
        let build = optional(self.build, |raw| {
            raw.parse::<i64>()
                .map_err(|_| FieldError::new("build", msg!("not_a_build_number", value = raw)))
        })?;
        Ok((statuses, build))
    }
}

/// Export the keyword list (附件4) or the test sets (附件5) as XLSX or CSV (UTF-8 with BOM).
#[utoipa::path(get, path = "/v1/exports/{file}", tag = "imports",
    params(("file" = String, Path, description = "keywords.xlsx, keywords.csv, questions.xlsx or questions.csv"), ExportQuery),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such export or build", body = ErrorBody),
    ))]
pub async fn export_file(
    state: web::Data<AppState>,
    file: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let name = ExportName::parse(&file)?;
    let (statuses, build) = query.into_inner().parse()?;
    let bytes = exports::produce(&state, name, &statuses, build).await?;
    Ok(HttpResponse::Ok()
        .content_type(name.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", name.as_str()),
        ))
        .body(bytes))
}
