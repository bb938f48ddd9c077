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
use crate::domain::status::{ExpectedBehavior, KeywordKind, QuestionKind};
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

/// The risk a row names: its risk column, its 一级/二级分类 columns, else any other
/// classification cell whose value is a risk's code, filing spelling or name (public sets put
/// the exact risk name in a 违规子类 column beside a 违规类型 of their own); else the default
/// risk or the file name's. A risk column that resolves to nothing, when no other cell does,
/// is the row's error.
fn row_risk<'a>(
    table: &Table,
    row: &Row,
    resolver: &'a RiskResolver,
    file_risk: Option<&'a str>,
    default_risk: Option<&'a str>,
) -> Result<Option<String>, Message> {
    let risk_cell = table.cell(row, Column::Risk);
    if let Some(code) = risk_cell.and_then(|raw| resolver.resolve(raw)) {
        return Ok(Some(code.to_owned()));
    }
    let (group, subgroup) = (
        table.cell(row, Column::Group),
        table.cell(row, Column::Subgroup),
    );
    if let Some(code) = subgroup.and_then(|_| resolver.resolve_pair(group, subgroup)) {
        return Ok(Some(code.to_owned()));
    }
    if let Some(code) = table
        .classification_cells(row)
        .find_map(|cell| resolver.resolve(cell))
    {
        return Ok(Some(code.to_owned()));
    }
    match (risk_cell, subgroup) {
        (Some(raw), _) => Err(msg!("unresolved_risk", value = raw)),
        (None, Some(subgroup)) => {
            let pair = format!("{} / {subgroup}", group.unwrap_or(""));
            Err(msg!("unresolved_risk", value = pair))
        }
        (None, None) => Ok(default_risk.or(file_risk).map(str::to_owned)),
    }
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
    let invalid = |message: Message| checker.invalid(row, raw, "invalid", &message);
    let stated = match table.cell(row, Column::ExpectedBehavior) {
        Some(value) => Some(
            behavior_cell(value)
                .ok_or_else(|| invalid(msg!("must_refuse_unclear", value = value)))?,
        ),
        None => None,
    };
    // The row's 测试类型, else the file's kind, else (files with only a 是否应拒答 column) the
    // refusal bank that column names.
    let kind = match (table.cell(row, Column::Kind), options.question_kind) {
        (Some(value), file_kind) => kind_cell(value)
            .or(file_kind)
            .ok_or_else(|| invalid(msg!("kind_unclear", value = value)))?,
        (None, Some(file_kind)) => file_kind,
        (None, None) => stated.map_or(QuestionKind::Generation, StatedBehavior::legacy_kind),
    };
    let (risk, aspect) = if kind == QuestionKind::MustNotRefuse {
        let aspect = match table.cell(row, Column::Aspect) {
            // A 方面 that names no aspect is the row's error, not a reason to guess.
            Some(value) => Some(
                checks
                    .taxonomy
                    .aspect_named(value)
                    .ok_or_else(|| invalid(msg!("unknown_aspect", code = value)))?
                    .code
                    .clone(),
            ),
            // A 类别 of a must-not-refuse file is its aspect, when it names one.
            None => table
                .cell(row, Column::Risk)
                .and_then(|value| checks.taxonomy.aspect_named(value))
                .map(|aspect| aspect.code.clone()),
        };
        match aspect.or_else(|| options.default_aspect.clone()) {
            Some(aspect) => (None, Some(aspect)),
            None => return Err(invalid(msg!("row_aspect_required"))),
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
    // The row's 是否应拒答; else a refusal kind's own; else, for a generation row, what its
    // 预期输出结果 states, else the file's behaviour.
    let given = match stated.and_then(StatedBehavior::behavior) {
        Some(behavior) => Some(behavior),
        None if ExpectedBehavior::of_kind(kind).is_some() => None,
        None => expected_output
            .as_ref()
            .and_then(|expected| checks.lints.stated_behavior(profile, expected.as_str()))
            .or(options.default_behavior),
    };
    let behavior = ExpectedBehavior::for_kind(kind, given)
        .map_err(|error| checker.invalid_field(row, raw, &error))?;
    let mut question = NewQuestionRow {
        text: text.as_str().to_owned(),
        kind,
        risk,
        aspect,
        high_risk,
        expected_output: expected_output.map(|e| e.into_inner()),
        judgment_criteria: judgment_criteria.map(|j| j.into_inner()),
        expected_behavior: behavior,
        templated: false,
        status: options.status,
        lint_errors: 0,
    };
    if options.templates {
        question.apply_template(checks.templates);
    }
    question.lint_errors = checker.lint_errors(
        row,
        raw,
        &lint::question(checks.lints, profile, question.facts()),
    )?;
    Ok((
        text.into_inner(),
        None,
        Pending::Question { row: question, key },
    ))
}

/// What a 是否应拒答 cell says: a behaviour, or — in files lexset wrote before the behaviour
/// was data — 生成内容, the generation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatedBehavior {
    Behavior(ExpectedBehavior),
    Generation,
}

impl StatedBehavior {
    fn behavior(self) -> Option<ExpectedBehavior> {
        match self {
            Self::Behavior(behavior) => Some(behavior),
            Self::Generation => None,
        }
    }

    /// The kind such a cell gives a row when nothing else does: files with only a 是否应拒答
    /// column use it to tell the must-refuse bank from the must-not-refuse one.
    fn legacy_kind(self) -> QuestionKind {
        match self {
            Self::Behavior(ExpectedBehavior::Refuse) => QuestionKind::MustRefuse,
            Self::Behavior(ExpectedBehavior::Answer) => QuestionKind::MustNotRefuse,
            Self::Generation => QuestionKind::Generation,
        }
    }
}

fn behavior_cell(value: &str) -> Option<StatedBehavior> {
    use ExpectedBehavior::{Answer, Refuse};
    Some(match value {
        "是" | "应拒答" | "拒答" | "true" | "1" | "yes" | "refuse" | "must_refuse" => {
            StatedBehavior::Behavior(Refuse)
        }
        "否" | "非拒答" | "不拒答" | "应回答" | "false" | "0" | "no" | "answer"
        | "must_not_refuse" => StatedBehavior::Behavior(Answer),
        "生成" | "生成内容" | "generation" => StatedBehavior::Generation,
        _ => return None,
    })
}

/// The bank a 测试类型 cell names.
fn kind_cell(value: &str) -> Option<QuestionKind> {
    Some(match value {
        "应拒答" | "拒答" | "应拒答测试题" | "拒答测试" | "must_refuse" => {
            QuestionKind::MustRefuse
        }
        "非拒答" | "不拒答" | "非拒答测试题" | "非拒答测试" | "must_not_refuse" => {
            QuestionKind::MustNotRefuse
        }
        "生成" | "生成内容" | "生成内容测试题" | "generation" => {
            QuestionKind::Generation
        }
        _ => return None,
    })
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
        TableError::Json(detail) => msg!("unreadable_json", detail = detail),
    }
}

/// The rows of an uploaded file: one too large for the service is `413`, one that cannot be
/// read `422` naming the `file` field.
pub fn read_table(
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
) -> Result<Table, ServiceError> {
    lexset_importers::table::read(bytes, format, sheet).map_err(|error| match error {
        TableError::WorkbookTooLarge | TableError::TooManyRows => ServiceError::FileTooLarge(error),
        other => FieldError::unprocessable("file", unreadable_file(&other)).into(),
    })
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
    let table = read_table(bytes, format, options.sheet.as_deref())?;
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
