//! Importing keyword and question files: every row ends as accepted, duplicate (of a live
//! entry or of an earlier row, after folding) or invalid (with a reason), and a commit writes
//! all accepted rows in one transaction — an error anywhere leaves nothing half imported, and
//! importing the same file again accepts nothing.

use std::collections::HashMap;

use lexset_importers::columns::Column;
use lexset_importers::risk::{RiskInfo, RiskResolver};
use lexset_importers::table::{self, Format, Row, Table};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use super::keywords::{self, NewKeywordRow};
use super::questions::{self, NewQuestionRow};
use super::revisions::ChangeContext;
use super::versioned_change;
use super::{Checks, ServiceError};
use crate::dedup::keys::{question_key, rule_key};
use crate::domain::field_error::FieldError;
use crate::domain::keyword::KeywordTerm;
use crate::domain::question::{ExpectedOutput, JudgmentCriteria, QuestionText};
use crate::domain::revision::EntryKind;
use crate::domain::status::{EntryStatus, KeywordKind, QuestionKind};
use crate::domain::text::{Note, Source};
use crate::lint;
use crate::store::entities::{keyword, question};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Keyword,
    Question,
}

/// How to read and file the rows.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub kind: ImportKind,
    pub format: Format,
    /// XLSX sheet by name (default: the first whose header names a term or question column).
    pub sheet: Option<String>,
    /// The risk of rows that name none.
    pub default_risk: Option<String>,
    /// Labels to risk codes (色情词库 → A.1.f); also applied to the file name's stem.
    pub mapping: HashMap<String, String>,
    pub file_name: Option<String>,
    /// The kind of question rows that do not say (default generation).
    pub question_kind: QuestionKind,
    /// Status of imported entries (default draft).
    pub status: EntryStatus,
    pub dry_run: bool,
}

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowReport {
    /// Line (or sheet row) number in the file.
    pub line: usize,
    /// `accepted`, `duplicate` or `invalid`.
    pub outcome: &'static str,
    /// For invalid rows: `malformed`, `empty`, `control_characters`, `over_long`,
    /// `unknown_risk`, `several_terms`, `lint_errors`, `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The live entry this row duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of_entry: Option<i64>,
    /// The earlier row this row duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of_line: Option<usize>,
    /// The entry created (after a commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<i64>,
    /// `block`, `allow` or `all_of` for keyword rows (`A+B` lines are `all_of`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyword_kind: Option<KeywordKind>,
    /// The term or question text as read.
    pub text: String,
}

/// The whole import.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub encoding: &'static str,
    pub rows: usize,
    pub accepted: usize,
    pub duplicates: usize,
    pub invalid: usize,
    /// Invalid rows per reason.
    pub reasons: std::collections::BTreeMap<&'static str, usize>,
    pub items: Vec<RowReport>,
}

fn invalid(
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

/// A row ready to be written.
enum Pending {
    Keyword { row: NewKeywordRow, key: String },
    Question { row: NewQuestionRow, key: String },
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
    .map_err(|message| FieldError::new("mapping", message))?;
    let default_risk = match &options.default_risk {
        Some(raw) => Some(
            resolver
                .resolve(raw)
                .ok_or_else(|| FieldError::new("risk", format!("unknown risk `{raw}`")))?
                .to_owned(),
        ),
        None => None,
    };
    Ok((resolver, default_risk))
}

/// Reads, checks and (unless a dry run) imports `bytes`; `progress(done, total)` is called as
/// rows are checked and written.
pub async fn import(
    db: &DatabaseConnection,
    checks: Checks<'_>,
    context: &ChangeContext,
    bytes: &[u8],
    options: &ImportOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport, ServiceError> {
    let (resolver, default_risk) = resolve_options(checks, options)?;
    let table = table::read(bytes, options.format, options.sheet.as_deref())
        .map_err(|e| FieldError::new("file", e.to_string()))?;
    let file_risk = options
        .file_name
        .as_deref()
        .map(|name| name.rsplit('/').next().unwrap_or(name))
        .map(|name| name.split('.').next().unwrap_or(name))
        .and_then(|stem| resolver.resolve(stem))
        .map(str::to_owned);
    let existing = live_keys(db, options.kind).await?;
    let checker = RowChecker {
        table: &table,
        checks,
        options,
        resolver: &resolver,
        file_risk: file_risk.as_deref(),
        default_risk: default_risk.as_deref(),
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
                let key = match &pending {
                    Pending::Keyword { key, .. } | Pending::Question { key, .. } => key.clone(),
                };
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
    if !options.dry_run && !pending.is_empty() {
        let batch = Batch {
            checks,
            context,
            options,
            total,
        };
        write(db, &batch, pending, &mut items, &mut progress).await?;
    }
    progress(total, total);
    let mut reasons = std::collections::BTreeMap::new();
    for item in &items {
        if let Some(reason) = item.reason {
            *reasons.entry(reason).or_insert(0) += 1;
        }
    }
    let count = |outcome: &str| items.iter().filter(|i| i.outcome == outcome).count();
    Ok(ImportReport {
        dry_run: options.dry_run,
        encoding: table.encoding,
        rows: total,
        accepted: count("accepted"),
        duplicates: count("duplicate"),
        invalid: count("invalid"),
        reasons,
        items,
    })
}

/// The dedup keys of live entries of `kind`, with their ids.
async fn live_keys(
    db: &DatabaseConnection,
    kind: ImportKind,
) -> Result<HashMap<String, i64>, ServiceError> {
    let rows: Vec<(i64, Option<String>)> = match kind {
        ImportKind::Keyword => {
            keyword::Entity::find()
                .select_only()
                .columns([keyword::Column::Id, keyword::Column::DedupKey])
                .filter(keyword::Column::Status.ne(EntryStatus::Retired))
                .into_tuple()
                .all(db)
                .await?
        }
        ImportKind::Question => {
            question::Entity::find()
                .select_only()
                .columns([question::Column::Id, question::Column::DedupKey])
                .filter(question::Column::Status.ne(EntryStatus::Retired))
                .into_tuple()
                .all(db)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(id, key)| key.map(|k| (k, id)))
        .collect())
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
type Checked = Result<(String, Option<KeywordKind>, Pending), Box<RowReport>>;

/// What checking a row needs besides the row.
struct RowChecker<'a> {
    table: &'a Table,
    checks: Checks<'a>,
    options: &'a ImportOptions,
    resolver: &'a RiskResolver,
    file_risk: Option<&'a str>,
    default_risk: Option<&'a str>,
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
        let errors = lint::errors(lints);
        if self.options.status == EntryStatus::Approved && !errors.is_empty() {
            return Err(invalid(
                row.line,
                raw,
                "lint_errors",
                format!("cannot be approved: {}", errors.join(", ")),
            ));
        }
        Ok(errors.len() as i32)
    }
}

fn check_keyword(checker: &RowChecker<'_>, row: &Row) -> Checked {
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

fn check_question(checker: &RowChecker<'_>, row: &Row) -> Checked {
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

/// What writing a batch needs.
struct Batch<'a> {
    checks: Checks<'a>,
    context: &'a ChangeContext,
    options: &'a ImportOptions,
    total: usize,
}

/// Writes every pending row in one transaction holding the kind's write lock.
async fn write(
    db: &DatabaseConnection,
    batch: &Batch<'_>,
    pending: Vec<(usize, Pending)>,
    items: &mut [RowReport],
    progress: &mut impl FnMut(usize, usize),
) -> Result<(), ServiceError> {
    let Batch {
        checks,
        context,
        options,
        total,
    } = *batch;
    let kind = match options.kind {
        ImportKind::Keyword => EntryKind::Keyword,
        ImportKind::Question => EntryKind::Question,
    };
    let txn = versioned_change::begin_write(db, kind).await?;
    for (written, (item, row)) in pending.into_iter().enumerate() {
        if written % 1000 == 0 {
            progress(written, total);
        }
        let created = match row {
            Pending::Keyword { row, key } => keywords::insert(&txn, context, &key, row)
                .await
                .map(|saved| saved.id),
            Pending::Question { row, key } => {
                questions::insert(&txn, checks.dedup, context, &key, row)
                    .await
                    .map(|(saved, _)| saved.id)
            }
        };
        match created {
            Ok(id) => items[item].entry_id = Some(id),
            // Written by someone else since the rows were checked: this row is a duplicate.
            Err(ServiceError::Duplicate { existing, .. }) => {
                items[item].outcome = "duplicate";
                items[item].duplicate_of_entry = existing.get("id").and_then(|id| id.as_i64());
            }
            Err(other) => return Err(other),
        }
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, PaginatorTrait};

    use super::*;
    use crate::dedup::Dedup;
    use crate::dedup::near_duplicates::NearDuplicateConfig;
    use crate::domain::text::Actor;
    use crate::fold::FoldProfile;
    use crate::lint::LintConfig;
    use crate::store::connect_and_migrate;
    use crate::store::entities::revision;
    use crate::taxonomy::Taxonomy;

    #[tokio::test]
    async fn an_import_failing_midway_leaves_the_store_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("i.db").display());
        let db = connect_and_migrate(&url).await.unwrap();
        let taxonomy = Taxonomy::shipped().unwrap();
        crate::services::taxonomy::load(&db, &taxonomy)
            .await
            .unwrap();
        // The third keyword insert fails, after two rows and their revisions were written.
        db.execute_unprepared(
            "CREATE TRIGGER fail_third BEFORE INSERT ON keywords \
             WHEN (SELECT COUNT(*) FROM keywords) >= 2 BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        )
        .await
        .unwrap();
        let dedup = Dedup {
            profile: FoldProfile::shipped().unwrap(),
            near_duplicates: NearDuplicateConfig::shipped().unwrap(),
        };
        let lints = LintConfig::shipped(&dedup.profile, &[]).unwrap();
        let checks = Checks {
            dedup: &dedup,
            lints: &lints,
            taxonomy: &taxonomy,
        };
        let context = ChangeContext {
            actor: Actor::parse("test").unwrap(),
            reason: None,
        };
        let options = ImportOptions {
            kind: ImportKind::Keyword,
            format: Format::Txt,
            sheet: None,
            default_risk: Some("A.1.a".to_owned()),
            mapping: HashMap::new(),
            file_name: None,
            question_kind: QuestionKind::Generation,
            status: EntryStatus::Draft,
            dry_run: false,
        };
        let result = import(
            &db,
            checks,
            &context,
            "甲词\n乙词\n丙词\n丁词\n".as_bytes(),
            &options,
            |_, _| {},
        )
        .await;
        assert!(result.is_err(), "{result:?}");
        assert_eq!(keyword::Entity::find().count(&db).await.unwrap(), 0);
        assert_eq!(revision::Entity::find().count(&db).await.unwrap(), 0);
    }
}
