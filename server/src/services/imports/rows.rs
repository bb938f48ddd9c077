//! Checking rows: each row of a table becomes a write ready to go, or an invalid row with a
//! reason. Pure: no database, so it runs off the async workers.

use std::collections::HashMap;

use lexset_importers::columns::Column;
use lexset_importers::risk::RiskResolver;
use lexset_importers::table::{Format, MAX_ROWS, MAX_WORKBOOK_BYTES, Row, Table, TableError};

use super::write::Pending;
use super::{ImportKind, ImportOptions, RowReport};
use crate::dedup::keys::{question_key, rule_key};
use crate::domain::field_error::FieldError;
use crate::domain::keyword::KeywordTerm;
use crate::domain::question::{ExpectedOutput, JudgmentCriteria, QuestionText};
use crate::domain::status::{KeywordKind, QuestionKind};
use crate::domain::text::{Note, Source};
use crate::lint;
use crate::messages::{Lang, Message, msg};
use crate::services::Checks;
use crate::services::ServiceError;
use crate::services::keywords::NewKeywordRow;
use crate::services::questions::NewQuestionRow;

/// The reason code of a field that does not parse, from its message's key.
fn reason_of(error: &FieldError) -> &'static str {
    match error.message.key() {
        "empty" | "folds_to_nothing" | "all_of_empty_part" => "empty",
        "control_characters" => "control_characters",
        "too_long" | "folds_too_long" => "over_long",
        _ => "invalid",
    }
}

/// The risk a row names (risk column, 一级/二级分类 columns, file name, default).
fn row_risk<'a>(
    table: &Table,
    row: &Row,
    resolver: &'a RiskResolver,
    file_risk: Option<&'a str>,
    default_risk: Option<&'a str>,
) -> Result<Option<String>, Message> {
    if let Some(raw) = table.cell(row, Column::Risk) {
        return resolver
            .resolve(raw)
            .map(|c| Some(c.to_owned()))
            .ok_or_else(|| msg!("unresolved_risk", value = raw));
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
                let pair = format!("{} / {}", group.unwrap_or(""), subgroup.unwrap_or(""));
                msg!("unresolved_risk", value = pair)
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
    /// The language of the rows' messages.
    pub lang: Lang,
}

impl RowChecker<'_> {
    /// The report of `row` (read as `text`), invalid for `reason`; its message in the
    /// import's language.
    fn invalid(
        &self,
        row: &Row,
        text: &str,
        reason: &'static str,
        message: &Message,
    ) -> Box<RowReport> {
        Box::new(RowReport {
            line: row.line,
            outcome: "invalid",
            reason: Some(reason),
            message: Some(message.render(self.lang)),
            duplicate_of_entry: None,
            duplicate_of_line: None,
            entry_id: None,
            keyword_kind: None,
            text: text.to_owned(),
        })
    }

    /// The report of `row`, invalid because one of its fields does not parse.
    fn invalid_field(&self, row: &Row, text: &str, error: &FieldError) -> Box<RowReport> {
        self.invalid(row, text, reason_of(error), &error.message)
    }

    /// The row's cell in `column` (empty when missing), refusing unreadable rows.
    fn text<'r>(&self, row: &'r Row, column: Column) -> Result<&'r str, Box<RowReport>> {
        let raw = self.table.cell(row, column).unwrap_or("");
        match &row.malformed {
            Some(problem) => Err(self.invalid(
                row,
                raw,
                "malformed",
                &msg!("malformed_row", detail = problem),
            )),
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
            Ok(None) => Err(self.invalid(row, raw, "unknown_risk", &msg!("row_names_no_risk"))),
            Err(message) => Err(self.invalid(row, raw, "unknown_risk", &message)),
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
            let rules = lint::errors(lints).join(", ");
            self.invalid(
                row,
                raw,
                "lint_errors",
                &msg!("row_lint_errors", rules = rules),
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
    let invalid_field = |e: FieldError| checker.invalid_field(row, raw, &e);
    let term = KeywordTerm::parse(raw).map_err(invalid_field)?;
    // In a one-term-a-line file, a comma means several terms; a table's cell is one term.
    if table.columns.is_empty() && term.as_str().contains([',', '，', '、']) {
        return Err(checker.invalid(row, raw, "several_terms", &msg!("several_terms")));
    }
    let risk = checker.risk(row, raw)?;
    let kind = match table.cell(row, Column::Disposition) {
        Some("放行" | "白名单" | "allow") => KeywordKind::Allow,
        Some("组合拦截" | "all_of") => KeywordKind::AllOf,
        Some("拦截" | "block") => KeywordKind::Block,
        None if term.as_str().contains('+') => KeywordKind::AllOf,
        None => KeywordKind::Block,
        Some(other) => {
            return Err(checker.invalid(
                row,
                raw,
                "invalid",
                &msg!("unknown_disposition", value = other),
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
    let key = rule_key(profile, kind, term.as_str()).map_err(invalid_field)?;
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
    // A question row has several text fields: the message names the one at fault.
    let parse_error = |e: FieldError| {
        let message = msg!("row_field", field = e.field, message = e.message.clone());
        checker.invalid(row, raw, reason_of(&e), &message)
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
            return Err(checker.invalid(
                row,
                raw,
                "invalid",
                &msg!("must_refuse_unclear", value = other),
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
                return Err(checker.invalid(row, raw, "invalid", &msg!("row_aspect_required")));
            }
        }
    } else {
        (Some(checker.risk(row, raw)?), None)
    };
    let high_risk = match table.cell(row, Column::HighRisk) {
        None | Some("否" | "false" | "0" | "no") => false,
        Some("是" | "true" | "1" | "yes") => true,
        Some(other) => {
            return Err(checker.invalid(
                row,
                raw,
                "invalid",
                &msg!("high_risk_value", value = other),
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

/// Why the file cannot be read at all.
pub fn unreadable_file(error: &TableError) -> Message {
    match error {
        TableError::Decode(_) => msg!("unknown_encoding"),
        TableError::Workbook(detail) => msg!("unreadable_workbook", detail = detail),
        TableError::NoSheet(sheet) => msg!("no_sheet", sheet = sheet),
        TableError::WorkbookTooLarge => {
            msg!("workbook_too_large", mib = MAX_WORKBOOK_BYTES >> 20)
        }
        TableError::TooManyRows => msg!("too_many_rows", max = MAX_ROWS),
    }
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
    /// The language of the rows' messages.
    pub lang: Lang,
}

/// Reads `bytes` as a table and checks every row: invalid, duplicate of a live entry or an
/// earlier row (after folding), or accepted. `progress` is told every 1 000 rows.
pub(super) fn check_file(
    file: &FileChecks<'_>,
    bytes: &[u8],
    progress: &(dyn Fn(&'static str, usize, usize) + Send + Sync),
) -> Result<CheckedFile, ServiceError> {
    let FileChecks {
        checks,
        options,
        resolver,
        default_risk,
        existing,
        lang,
    } = *file;
    let format = options.format.unwrap_or_else(|| Format::sniff(bytes));
    let table = lexset_importers::table::read(bytes, format, options.sheet.as_deref()).map_err(
        |error| match error {
            TableError::WorkbookTooLarge | TableError::TooManyRows => {
                ServiceError::FileTooLarge(error)
            }
            other => FieldError::unprocessable("file", unreadable_file(&other)).into(),
        },
    )?;
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
        lang,
    };
    let total = table.rows.len();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut items = Vec::with_capacity(total);
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    for (done, row) in table.rows.iter().enumerate() {
        if done % 1000 == 0 {
            progress(super::STAGE_CHECK, done, total);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::keys::keyword_key;
    use crate::fold::FoldProfile;

    #[test]
    fn reasons_follow_the_keys_of_the_field_errors() {
        let reason = |result: Result<KeywordTerm, FieldError>| reason_of(&result.unwrap_err());
        assert_eq!(reason(KeywordTerm::parse(" ")), "empty");
        assert_eq!(
            reason(KeywordTerm::parse("有\u{7}控制符")),
            "control_characters"
        );
        assert_eq!(reason(KeywordTerm::parse(&"词".repeat(101))), "over_long");
        let profile = FoldProfile::shipped().unwrap();
        assert_eq!(
            reason_of(&keyword_key(&profile, "*·_").unwrap_err()),
            "empty"
        );
        let expanded = "\u{FDFA}".repeat(40);
        assert_eq!(
            reason_of(&keyword_key(&profile, &expanded).unwrap_err()),
            "over_long"
        );
        assert_eq!(
            reason_of(&rule_key(&profile, KeywordKind::AllOf, "枪+").unwrap_err()),
            "empty"
        );
    }
}
