//! `/v1/exports/{file}`: the filing workbooks and CSV files.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::coverage::parse_statuses;
use super::error::{ApiError, ErrorBody};
use crate::domain::field_error::FieldError;
use crate::export;
use crate::services::exports;

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

/// One export file's bytes, content type and name.
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";

/// Produces `file` (`keywords.xlsx`, `keywords.csv`, `questions.xlsx`, `questions.csv`).
pub async fn produce(
    state: &AppState,
    file: &str,
    query: ExportQuery,
) -> Result<ExportFile, ApiError> {
    let statuses = parse_statuses(query.status.as_deref())?;
    let build = query
        .build
        .as_deref()
        .map(|raw| {
            raw.parse::<i64>().map_err(|_| {
                FieldError::new(
                    "build",
                    format!("`build` must be a build number, not `{raw}`"),
                )
            })
        })
        .transpose()?;
    let render_error =
        |e: &dyn std::fmt::Display| ApiError::from(sea_orm::DbErr::Custom(format!("export: {e}")));
    match file {
        "keywords.xlsx" | "keywords.csv" => {
            let rows = match build {
                Some(number) => {
                    exports::build_keywords(&state.build_environment(), &state.filters, number)
                        .await?
                }
                None => exports::keywords(&state.db, &statuses).await?,
            };
            if file.ends_with("csv") {
                let bytes =
                    export::keywords_csv(&state.taxonomy, &rows).map_err(|e| render_error(&e))?;
                return Ok(ExportFile {
                    bytes,
                    content_type: CSV,
                });
            }
            let (needs, total) = exports::keyword_needs(&state.taxonomy, &state.rule_profiles_dir)
                .map_err(|e| ApiError::system("invalid_rule_profile", e.to_string()))?;
            let bytes = export::keywords_xlsx(&state.taxonomy, &rows, &needs, total)
                .map_err(|e| render_error(&e))?;
            Ok(ExportFile {
                bytes,
                content_type: XLSX,
            })
        }
        "questions.xlsx" | "questions.csv" => {
            if build.is_some() {
                return Err(FieldError::new(
                    "build",
                    "builds hold keywords only; export questions by status",
                )
                .into());
            }
            let rows = exports::questions(&state.db, &statuses).await?;
            if file.ends_with("csv") {
                let bytes =
                    export::questions_csv(&state.taxonomy, &rows).map_err(|e| render_error(&e))?;
                return Ok(ExportFile {
                    bytes,
                    content_type: CSV,
                });
            }
            let bytes =
                export::questions_xlsx(&state.taxonomy, &rows).map_err(|e| render_error(&e))?;
            Ok(ExportFile {
                bytes,
                content_type: XLSX,
            })
        }
        other => Err(ApiError::invalid(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "no export `{other}`; there are keywords.xlsx, keywords.csv, questions.xlsx and questions.csv"
            ),
        )),
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
    let file = file.into_inner();
    let produced = produce(&state, &file, query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type(produced.content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(produced.bytes))
}
