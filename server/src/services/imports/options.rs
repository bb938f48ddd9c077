//! What an import is asked to do, as the API's query parameters and the command line's flags
//! name it, parsed once for both; and the checks made before any file is read, so a bad
//! request is refused at once instead of failing the task.

use std::collections::HashMap;

use lexset_importers::risk::{RiskInfo, RiskResolver};
use lexset_importers::table::Format;

use super::{ImportKind, ImportOptions};
use crate::domain::field_error::{FieldError, one_of};
use crate::domain::role::Role;
use crate::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use crate::messages::msg;
use crate::services::{Checks, ServiceError};
use crate::taxonomy::Taxonomy;

/// An import as a client names it, before parsing.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// `keyword` (default) or `question`.
    pub kind: Option<String>,
    /// `csv`, `txt`, `jsonl`, `json` or `xlsx`; default from `file_name`'s extension.
    pub format: Option<String>,
    pub file_name: Option<String>,
    pub sheet: Option<String>,
    /// The risk of rows that name none, in any spelling the resolver knows.
    pub risk: Option<String>,
    /// Labels to risk codes.
    pub mapping: HashMap<String, String>,
    /// Kind of question rows that do not say; see `ImportOptions::question_kind`.
    pub question_kind: Option<String>,
    /// The aspect of must-not-refuse rows that name none: a code or its Chinese name.
    pub aspect: Option<String>,
    /// `refuse` or `answer`: the expected behaviour of question rows that do not say.
    pub behavior: Option<String>,
    /// Fill missing 预期输出结果 and 判定标准 from the answer templates.
    pub templates: bool,
    /// `draft` (default) or `approved`.
    pub status: Option<String>,
    pub dry_run: bool,
}

impl ImportRequest {
    pub fn parse(self, taxonomy: &Taxonomy) -> Result<ImportOptions, FieldError> {
        let kind = match self.kind.as_deref().unwrap_or("keyword") {
            "keyword" => ImportKind::Keyword,
            "question" => ImportKind::Question,
            other => {
                return Err(FieldError::new(
                    "kind",
                    msg!("import_kind_value", value = other),
                ));
            }
        };
        let question_kind = self
            .question_kind
            .as_deref()
            .map(QuestionKind::parse)
            .transpose()?;
        // The parameter is `behavior`: name it, not the question field it fills.
        let default_behavior = self
            .behavior
            .as_deref()
            .map(ExpectedBehavior::parse)
            .transpose()
            .map_err(|mut error| {
                error.field = "behavior";
                error
            })?;
        // A behaviour the file's kind contradicts would fail every row: refused at once.
        if let Some(kind) = question_kind {
            ExpectedBehavior::for_kind(kind, default_behavior).map_err(|mut error| {
                error.field = "behavior";
                error
            })?;
        }
        Ok(ImportOptions {
            kind,
            format: parse_format(self.format.as_deref(), self.file_name.as_deref())?,
            sheet: self.sheet,
            default_risk: self.risk,
            mapping: self.mapping,
            file_name: self.file_name,
            question_kind,
            default_aspect: match self.aspect.as_deref() {
                Some(raw) => Some(
                    taxonomy
                        .aspect_named(raw)
                        .ok_or_else(|| {
                            FieldError::unprocessable("aspect", msg!("unknown_aspect", code = raw))
                        })?
                        .code
                        .clone(),
                ),
                None => None,
            },
            default_behavior,
            templates: self.templates,
            status: match self.status.as_deref() {
                // Drafts for review, or approved entries reviewed elsewhere; nothing else.
                Some(raw) => one_of(
                    "status",
                    msg!("noun_status"),
                    &[EntryStatus::Draft, EntryStatus::Approved],
                    EntryStatus::as_str,
                    raw,
                )?,
                None => EntryStatus::Draft,
            },
            dry_run: self.dry_run,
        })
    }
}

/// The format named by `format` (a name of `Format::NAMES`), else by the extension of
/// `file_name`; `None` when neither names one (the import then sniffs the bytes).
pub fn parse_format(
    format: Option<&str>,
    file_name: Option<&str>,
) -> Result<Option<Format>, FieldError> {
    match format {
        Some(raw) => Format::from_name(raw)
            .map(Some)
            .ok_or_else(|| FieldError::new("format", msg!("import_format_value", value = raw))),
        None => Ok(file_name.and_then(Format::from_file_name)),
    }
}

/// Parses `label:code,label:code` (the API's `mapping` parameter).
pub fn parse_mapping(raw: &str) -> Result<HashMap<String, String>, FieldError> {
    raw.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (label, code) = pair.split_once(':').ok_or_else(|| {
                FieldError::unprocessable("mapping", msg!("mapping_pair", pair = pair))
            })?;
            Ok((label.trim().to_owned(), code.trim().to_owned()))
        })
        .collect()
}

/// Who may import approved entries: nobody while four eyes is on (no second person would
/// review them), and through the API only admins. `role` is `None` for the command line,
/// run by the operator on the server's machine.
pub fn authorize_status(
    options: &ImportOptions,
    role: Option<Role>,
    four_eyes: bool,
) -> Result<(), ServiceError> {
    if options.status != EntryStatus::Approved {
        return Ok(());
    }
    if four_eyes {
        return Err(ServiceError::ImportNeedsReview);
    }
    if role.is_some_and(|role| role < Role::Admin) {
        return Err(ServiceError::RoleTooLow {
            needed: Role::Admin,
            action: msg!("importing_approved_entries"),
        });
    }
    Ok(())
}

/// The risk resolver of `options` (taxonomy plus mapping) and the default risk it names:
/// checked before any file is read, so a bad mapping or risk is a 400, not a failed task.
pub fn resolve_options(
    checks: Checks<'_>,
    options: &ImportOptions,
) -> Result<(RiskResolver, Option<String>), FieldError> {
    let resolver = RiskResolver::new(
        checks
            .taxonomy
            .risks
            .iter()
            .map(|r| RiskInfo {
                code: r.code.clone(),
                name_zh: r.name_zh.clone(),
                group_code: r.group_code.clone(),
                group_name_zh: r.group_name_zh.clone(),
            })
            .collect(),
        options.mapping.clone(),
    )
    .map_err(|detail| {
        FieldError::unprocessable("mapping", msg!("mapping_invalid", detail = detail))
    })?;
    let default_risk = match &options.default_risk {
        Some(raw) => Some(
            resolver
                .resolve(raw)
                .ok_or_else(|| {
                    FieldError::unprocessable("risk", msg!("unresolved_risk", value = raw))
                })?
                .to_owned(),
        ),
        None => None,
    };
    Ok((resolver, default_risk))
}
