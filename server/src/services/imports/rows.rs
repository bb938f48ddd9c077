//! Checking rows: each row of a table becomes a write ready to go, or an invalid row with a
//! reason. Pure: no database, so it runs off the async workers.

use std::collections::HashMap;

use lexset_importers::columns::Column;
use lexset_importers::risk::RiskResolver;
use lexset_importers::table::{Format, Row, Table};

use super::write::Pending;
use super::{ImportKind, ImportOptions, RowReport};
use crate::dedup::keys::{question_key, rule_key};
use crate::domain::field_error::FieldError;
use crate::domain::keyword::KeywordTerm;
use crate::domain::question::{ExpectedOutput, JudgmentCriteria, QuestionText};
use crate::domain::status::{KeywordKind, QuestionKind};
use crate::domain::text::{Note, Source};
use crate::lint;
use crate::services::Checks;
use crate::services::keywords::NewKeywordRow;
use crate::services::questions::NewQuestionRow;

pub(super) fn invalid(
    line: usize,
    text: &str,
    reason: &'static str,
    message: impl Into<String>,
) -> Box<RowReport> {
    Box::new(RowReport {
        line,
        outcome: "invalid",
        reason: Some(reason),
        message: Some(message.into()),
        duplicate_of_entry: None,
        duplicate_of_line: None,
        entry_id: None,
        keyword_kind: None,
        text: text.to_owned(),
    })
}

/// The reason code of a field that does not parse.
fn reason_of(error: &FieldError) -> &'static str {
    if error.message.contains("empty") || error.message.contains("folds to nothing") {
        "empty"
    } else if error.message.contains("control character") {
        "control_characters"
    } else if error.message.contains("at most") {
        "over_long"
    } else {
        "invalid"
    }
}

/// The risk a row names (risk column, 一级/二级分类 columns, file name, default).
fn row_risk<'a>(
    table: &Table,
    row: &Row,
    resolver: &'a RiskResolver,
    file_risk: Option<&'a str>,
    default_risk: Option<&'a str>,
) -> Result<Option<String>, String> {
    if let Some(raw) = table.cell(row, Column::Risk) {
        return resolver
            .resolve(raw)
            .map(|c| Some(c.to_owned()))
            .ok_or_else(|| format!("unknown risk `{raw}`"));
    }
    let (group, subgroup) = (
        table.cell(row, Column::Group),
        table.cell(row, Column::Subgroup),
    );
    if subgroup.is_some() {
        return resolver
            .resolve_pair(group, subgroup)
            .map(|c| Some(c.to_owned()))
            .ok_or_else(|| {
                format!(
                    "unknown risk `{} / {}`",
                    group.unwrap_or(""),
                    subgroup.unwrap_or("")
                )
            });
    }
    Ok(default_risk.or(file_risk).map(str::to_owned))
}

/// A row ready to write (its text, keyword kind and content), or its invalid report.
pub(super) type Checked = Result<(String, Option<KeywordKind>, Pending), Box<RowReport>>;

/// What checking a row needs besides the row.
pub(super) struct RowChecker<'a> {
    pub table: &'a Table,
    pub checks: Checks<'a>,
    pub options: &'a ImportOptions,
    pub resolver: &'a RiskResolver,
    pub file_risk: Option<&'a str>,
    pub default_risk: Option<&'a str>,
}

impl RowChecker<'_> {
    /// The row's cell in `column` (empty when missing), refusing unreadable rows.
    fn text<'r>(&self, row: &'r Row, column: Column) -> Result<&'r str, Box<RowReport>> {
        let raw = self.table.cell(row, column).unwrap_or("");
        match &row.malformed {
            Some(problem) => Err(invalid(row.line, raw, "malformed", problem.clone())),
            None => Ok(raw),
        }
    }

    /// The risk the row names, or why it names none.
    fn risk(&self, row: &Row, raw: &str) -> Result<String, Box<RowReport>> {
        match row_risk(
            self.table,
            row,
            self.resolver,
            self.file_risk,
            self.default_risk,
        ) {
            Ok(Some(risk)) => Ok(risk),
            Ok(None) => Err(invalid(
                row.line,
                raw,
                "unknown_risk",
                "the row names no risk; give a risk column, a mapping or --risk",
            )),
            Err(message) => Err(invalid(row.line, raw, "unknown_risk", message)),
        }
    }

    /// The number of error `lints`, refusing rows to be approved with any.
    fn lint_errors(
        &self,
        row: &Row,
        raw: &str,
        lints: &[lint::Lint],
    ) -> Result<i32, Box<RowReport>> {
        crate::services::lints::error_count(lints, self.options.status).map_err(|_| {
            invalid(
                row.line,
                raw,
                "lint_errors",
                format!("cannot be approved: {}", lint::errors(lints).join(", ")),
            )
        })
    }
}

pub(super) fn check_keyword(checker: &RowChecker<'_>, row: &Row) -> Checked {
    let RowChecker {
        table,
        checks,
        options,
        ..
    } = *checker;
    let raw = checker.text(row, Column::Term)?;
    let term =
        KeywordTerm::parse(raw).map_err(|e| invalid(row.line, raw, reason_of(&e), e.message))?;
    // In a one-term-a-line file, a comma means several terms; a table's cell is one term.
    if table.columns.is_empty() && term.as_str().contains([',', '，', '、']) {
        return Err(invalid(
            row.line,
            raw,
            "several_terms",
            "the line holds several terms; split it into one term a line",
        ));
    }
    let risk = checker.risk(row, raw)?;
    let invalid_field = |e: FieldError| invalid(row.line, raw, reason_of(&e), e.message);
    let kind = match table.cell(row, Column::Disposition) {
        Some("放行" | "白名单" | "allow") => KeywordKind::Allow,
        Some("组合拦截" | "all_of") => KeywordKind::AllOf,
        Some("拦截" | "block") => KeywordKind::Block,
        None if term.as_str().contains('+') => KeywordKind::AllOf,
        None => KeywordKind::Block,
        Some(other) => {
            return Err(invalid(
                row.line,
                raw,
                "invalid",
                format!("unknown 处置 `{other}`; expected 拦截, 放行 or 组合拦截"),
            ));
        }
    };
    let note = table
        .cell(row, Column::Note)
        .map(Note::parse)
        .transpose()
        .map_err(invalid_field)?;
    // A file with a 来源 column says where each row came from; otherwise the file itself is.
    let source = if table.columns.contains(&Some(Column::Source)) {
        table
            .cell(row, Column::Source)
            .map(Source::parse)
            .transpose()
            .map_err(invalid_field)?
            .map(Source::into_inner)
    } else {
        options
            .file_name
            .as_deref()
            .and_then(|name| Source::parse(name).ok())
            .map(Source::into_inner)
    };
    let profile = &checks.dedup.profile;
    let key = rule_key(profile, kind, term.as_str())
        .map_err(|e| invalid(row.line, raw, reason_of(&e), e.message))?;
    let lint_errors = checker.lint_errors(
        row,
        raw,
        &lint::keyword(checks.lints, profile, term.as_str(), kind),
    )?;
    Ok((
        term.as_str().to_owned(),
        Some(kind),
        Pending::Keyword {
            row: NewKeywordRow {
                term: term.into_inner(),
                kind,
                risk,
                note: note.map(Note::into_inner),
                source,
                status: options.status,
                lint_errors,
            },
            key,
        },
    ))
}

pub(super) fn check_question(checker: &RowChecker<'_>, row: &Row) -> Checked {
    let RowChecker {
        table,
        checks,
        options,
        ..
    } = *checker;
    let raw = checker.text(row, Column::Question)?;
    let parse_error = |e: FieldError| {
        invalid(
            row.line,
            raw,
            reason_of(&e),
            format!("{}: {}", e.field, e.message),
        )
    };
    let text = QuestionText::parse(raw).map_err(parse_error)?;
    let kind = match table.cell(row, Column::MustRefuse) {
        None => options.question_kind,
        Some("是" | "应拒答" | "拒答" | "true" | "1" | "yes" | "must_refuse") => {
            QuestionKind::MustRefuse
        }
        Some("否" | "非拒答" | "不拒答" | "false" | "0" | "no" | "must_not_refuse") => {
            QuestionKind::MustNotRefuse
        }
        Some("生成" | "生成内容" | "generation") => QuestionKind::Generation,
        Some(other) => {
            return Err(invalid(
                row.line,
                raw,
                "invalid",
                format!("cannot tell whether `{other}` means must refuse"),
            ));
        }
    };
    let (risk, aspect) = if kind == QuestionKind::MustNotRefuse {
        let aspect = table.cell(row, Column::Aspect).and_then(|a| {
            checks
                .taxonomy
                .aspects
                .iter()
                .find(|x| x.code == a || x.name_zh == a)
                .map(|x| x.code.clone())
        });
        match aspect {
            Some(aspect) => (None, Some(aspect)),
            None => {
                return Err(invalid(
                    row.line,
                    raw,
                    "invalid",
                    "a must-not-refuse question needs an aspect (方面) such as 历史",
                ));
            }
        }
    } else {
        (Some(checker.risk(row, raw)?), None)
    };
    let high_risk = match table.cell(row, Column::HighRisk) {
        None | Some("否" | "false" | "0" | "no") => false,
        Some("是" | "true" | "1" | "yes") => true,
        Some(other) => {
            return Err(invalid(
                row.line,
                raw,
                "invalid",
                format!("高风险 must be 是 or 否, not `{other}`"),
            ));
        }
    };
    let expected_output = table
        .cell(row, Column::ExpectedOutput)
        .map(ExpectedOutput::parse)
        .transpose()
        .map_err(parse_error)?;
    let judgment_criteria = table
        .cell(row, Column::JudgmentCriteria)
        .map(JudgmentCriteria::parse)
        .transpose()
        .map_err(parse_error)?;
    let profile = &checks.dedup.profile;
    let key = question_key(profile, text.as_str()).map_err(parse_error)?;
    let facts = lint::QuestionFacts {
        text: text.as_str(),
        kind,
        aspect: aspect.as_deref(),
        expected_output: expected_output.as_ref().map(|e| e.as_str()),
        judgment_criteria: judgment_criteria.as_ref().map(|j| j.as_str()),
    };
    let lint_errors =
        checker.lint_errors(row, raw, &lint::question(checks.lints, profile, facts))?;
    Ok((
        text.as_str().to_owned(),
        None,
        Pending::Question {
            row: NewQuestionRow {
                text: text.into_inner(),
                kind,
                risk,
                aspect,
                high_risk,
                expected_output: expected_output.map(|e| e.into_inner()),
                judgment_criteria: judgment_criteria.map(|j| j.into_inner()),
                status: options.status,
                lint_errors,
            },
            key,
        },
    ))
}

/// Every row of a checked file: its report, and the writes of the rows to store.
pub(super) struct CheckedFile {
    pub encoding: &'static str,
    pub items: Vec<RowReport>,
    /// The rows to write: (index into `items`, what to write).
    pub pending: Vec<(usize, Pending)>,
}

/// What checking a file needs besides its bytes.
pub(super) struct FileChecks<'a> {
    pub checks: Checks<'a>,
    pub options: &'a ImportOptions,
    pub resolver: &'a RiskResolver,
    pub default_risk: Option<&'a str>,
    /// Dedup keys of live entries with their ids.
    pub existing: &'a HashMap<String, i64>,
}

/// Reads `bytes` as a table and checks every row: invalid, duplicate of a live entry or an
/// earlier row (after folding), or accepted. `progress(done, total)` is told every 1 000 rows.
pub(super) fn check_file(
    file: &FileChecks<'_>,
    bytes: &[u8],
    progress: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<CheckedFile, FieldError> {
    let FileChecks {
        checks,
        options,
        resolver,
        default_risk,
        existing,
    } = *file;
    let format = options.format.unwrap_or_else(|| Format::sniff(bytes));
    let table = lexset_importers::table::read(bytes, format, options.sheet.as_deref())
        .map_err(|e| FieldError::unprocessable("file", e.to_string()))?;
    let file_risk = options
        .file_name
        .as_deref()
        .map(|name| name.rsplit('/').next().unwrap_or(name))
        .map(|name| name.split('.').next().unwrap_or(name))
        .and_then(|stem| resolver.resolve(stem))
        .map(str::to_owned);
    let checker = RowChecker {
        table: &table,
        checks,
        options,
        resolver,
        file_risk: file_risk.as_deref(),
        default_risk,
    };
    let total = table.rows.len();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut items = Vec::with_capacity(total);
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    for (done, row) in table.rows.iter().enumerate() {
        if done % 1000 == 0 {
            progress(done, total);
        }
        let checked = match options.kind {
            ImportKind::Keyword => check_keyword(&checker, row),
            ImportKind::Question => check_question(&checker, row),
        };
        let (report, row_pending) = match checked {
            Err(report) => (*report, None),
            Ok((text, kind, pending)) => {
                let key = pending.key().to_owned();
                let mut report = RowReport {
                    line: row.line,
                    outcome: "accepted",
                    reason: None,
                    message: None,
                    duplicate_of_entry: None,
                    duplicate_of_line: None,
                    entry_id: None,
                    keyword_kind: kind,
                    text,
                };
                if let Some(id) = existing.get(&key) {
                    report.outcome = "duplicate";
                    report.duplicate_of_entry = Some(*id);
                    (report, None)
                } else if let Some(line) = seen.get(&key) {
                    report.outcome = "duplicate";
                    report.duplicate_of_line = Some(*line);
                    (report, None)
                } else {
                    seen.insert(key, row.line);
                    (report, Some(pending))
                }
            }
        };
        if let Some(row_pending) = row_pending {
            pending.push((items.len(), row_pending));
        }
        items.push(report);
    }
    Ok(CheckedFile {
        encoding: table.encoding,
        items,
        pending,
    })
}
