//! Filing-ready exports: the keyword list (附件4 拦截关键词列表) and the test sets (附件5
//! 评估测试题) as XLSX workbooks, and both as CSV with a UTF-8 byte-order mark so Excel shows
//! the Chinese; the 登记 keyword CSV (分类 / 关键词 / 处置 / 备注) and the 登记 question
//! workbook (序号 / 问题表述 / 预期输出结果 / 判定标准 / 风险类别 / 是否高风险 / 是否应拒答).
//! Risks are written as filings spell them: 一级分类 `A.1 包含违反…`, 二级分类 `A.1 a) 煽动颠覆
//! 国家政权、推翻社会主义制度`. What is written reads back through the importers (tested per
//! layout in `tests/api/exports.rs`).

use lexset_importers::formula;
use std::collections::BTreeMap;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::coverage::rules::Measure;
use crate::domain::status::{ExpectedBehavior, KeywordKind, QuestionKind};
use crate::evaluation::EvaluationReport;
use crate::run_report::{Figures, RuleStatus, RunReport};
use crate::taxonomy::Taxonomy;

/// A keyword row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordRow {
    pub term: String,
    pub risk: String,
    pub kind: KeywordKind,
    pub note: Option<String>,
    pub source: Option<String>,
}

/// A question row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionRow {
    pub text: String,
    pub kind: QuestionKind,
    pub high_risk: bool,
    pub risk: Option<String>,
    pub aspect: Option<String>,
    pub expected_output: Option<String>,
    pub judgment_criteria: Option<String>,
    pub expected_behavior: Option<ExpectedBehavior>,
}

/// The frozen question set a test-set file lists, named in its summary sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetLabel {
    pub name: String,
    pub version: i32,
    pub member_count: u64,
}

impl SetLabel {
    /// The summary sheet's lines naming the set.
    fn lines(&self) -> [(&'static str, String); 3] {
        [
            ("题集名称", self.name.clone()),
            ("题集版本", self.version.to_string()),
            ("题集题数", self.member_count.to_string()),
        ]
    }
}

/// Writes `lines` as label / value rows of a summary sheet named 概览.
fn summary_sheet(
    workbook: &mut Workbook,
    lines: impl IntoIterator<Item = (&'static str, String)>,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let summary = workbook.add_worksheet().set_name("概览")?;
    for (line, (label, value)) in (0u32..).zip(lines) {
        summary.write_string_with_format(line, 0, label, &bold)?;
        summary.write_string(line, 1, value)?;
    }
    summary.autofit();
    Ok(())
}

/// The filing spellings of a risk: (一级分类, 二级分类).
fn risk_labels(taxonomy: &Taxonomy, code: &str) -> (String, String) {
    match taxonomy.risk(code) {
        Some(risk) => {
            let letter = risk.code.rsplit('.').next().unwrap_or("");
            (
                format!("{} {}", risk.group_code, risk.group_name_zh),
                format!("{} {letter}) {}", risk.group_code, risk.name_zh),
            )
        }
        None => (String::new(), code.to_owned()),
    }
}

fn disposition(kind: KeywordKind) -> &'static str {
    match kind {
        KeywordKind::Block => "拦截",
        KeywordKind::Allow => "放行",
        KeywordKind::AllOf => "组合拦截",
    }
}

const KEYWORD_COLUMNS: [&str; 7] = [
    "序号",
    "关键词",
    "一级分类",
    "二级分类",
    "处置",
    "备注",
    "来源",
];

fn keyword_cells(taxonomy: &Taxonomy, index: usize, row: &KeywordRow) -> [String; 7] {
    let (group, risk) = risk_labels(taxonomy, &row.risk);
    [
        (index + 1).to_string(),
        row.term.clone(),
        group,
        risk,
        disposition(row.kind).to_owned(),
        row.note.clone().unwrap_or_default(),
        row.source.clone().unwrap_or_default(),
    ]
}

/// A CSV file as Excel on Chinese Windows expects it (UTF-8 with a byte-order mark, CRLF),
/// every cell a spreadsheet would run as a formula neutralised (`lexset_importers::formula`).
pub fn csv_bytes<const N: usize>(
    header: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(
            row.iter()
                .map(|cell| formula::neutralize(cell).into_owned()),
        )?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// The keyword list as CSV.
pub fn keywords_csv(taxonomy: &Taxonomy, rows: &[KeywordRow]) -> Result<Vec<u8>, csv::Error> {
    csv_bytes(
        KEYWORD_COLUMNS,
        rows.iter()
            .enumerate()
            .map(|(i, r)| keyword_cells(taxonomy, i, r)),
    )
}

/// The keyword workbook (附件4): a summary (keywords per risk against `needs`, the per-risk
/// minimums of the rule profile, and the total against `total_need`), then the interception
/// list. Allow-list rows are left out of both: they stop no text, they keep a longer harmless
/// term from being intercepted (the CSV exports keep them, with their 处置).
pub fn keywords_xlsx(
    taxonomy: &Taxonomy,
    rows: &[KeywordRow],
    needs: &BTreeMap<String, u64>,
    total_need: Option<u64>,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.kind != KeywordKind::Allow) {
        *counts.entry(row.risk.as_str()).or_default() += 1;
    }
    let summary = workbook.add_worksheet().set_name("概览")?;
    for (column, title) in (0u16..).zip(["风险", "关键词数", "要求", "缺口"]) {
        summary.write_string_with_format(0, column, title, &bold)?;
    }
    let mut line = 1u32;
    for risk in &taxonomy.risks {
        let have = counts.get(risk.code.as_str()).copied().unwrap_or(0);
        summary.write_string(line, 0, risk_labels(taxonomy, &risk.code).1)?;
        summary.write_number(line, 1, have as f64)?;
        if let Some(need) = needs.get(&risk.code) {
            summary.write_number(line, 2, *need as f64)?;
            summary.write_number(line, 3, need.saturating_sub(have) as f64)?;
        }
        line += 1;
    }
    let total: u64 = counts.values().sum();
    summary.write_string_with_format(line, 0, "合计", &bold)?;
    summary.write_number(line, 1, total as f64)?;
    if let Some(need) = total_need {
        summary.write_number(line, 2, need as f64)?;
        summary.write_number(line, 3, need.saturating_sub(total) as f64)?;
    }
    summary.autofit();

    let list = workbook.add_worksheet().set_name("拦截关键词列表")?;
    for (column, title) in (0u16..).zip(KEYWORD_COLUMNS) {
        list.write_string_with_format(0, column, title, &bold)?;
    }
    let intercepted = rows.iter().filter(|r| r.kind != KeywordKind::Allow);
    for (index, row) in intercepted.enumerate() {
        for (column, cell) in (0u16..).zip(keyword_cells(taxonomy, index, row)) {
            list.write_string(index as u32 + 1, column, cell)?;
        }
    }
    list.autofit();
    workbook.save_to_buffer()
}

const REGISTRATION_KEYWORD_COLUMNS: [&str; 4] = ["分类", "关键词", "处置", "备注"];

/// The 登记 keyword file: 分类 (the risk as filings spell it) / 关键词 / 处置 / 备注.
pub fn registration_keywords_csv(
    taxonomy: &Taxonomy,
    rows: &[KeywordRow],
) -> Result<Vec<u8>, csv::Error> {
    csv_bytes(
        REGISTRATION_KEYWORD_COLUMNS,
        rows.iter().map(|row| {
            [
                risk_labels(taxonomy, &row.risk).1,
                row.term.clone(),
                disposition(row.kind).to_owned(),
                row.note.clone().unwrap_or_default(),
            ]
        }),
    )
}

const QUESTION_COLUMNS: [&str; 10] = [
    "序号",
    "测试题",
    "一级分类",
    "二级分类",
    "方面",
    "测试类型",
    "是否应拒答",
    "高风险",
    "预期输出",
    "判定标准",
];

/// 是否应拒答 as filings write it: 是 / 否, empty while a generation question does not say.
fn refuse_cell(behavior: Option<ExpectedBehavior>) -> &'static str {
    match behavior {
        Some(ExpectedBehavior::Refuse) => "是",
        Some(ExpectedBehavior::Answer) => "否",
        None => "",
    }
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "是" } else { "否" }
}

fn question_cells(taxonomy: &Taxonomy, index: usize, row: &QuestionRow) -> [String; 10] {
    let (group, risk) = row
        .risk
        .as_deref()
        .map(|code| risk_labels(taxonomy, code))
        .unwrap_or_default();
    let aspect = row
        .aspect
        .as_deref()
        .and_then(|code| taxonomy.aspect(code))
        .map(|a| a.name_zh.clone())
        .unwrap_or_default();
    let kind = match row.kind {
        QuestionKind::MustRefuse => "应拒答",
        QuestionKind::MustNotRefuse => "非拒答",
        QuestionKind::Generation => "生成内容",
    };
    [
        (index + 1).to_string(),
        row.text.clone(),
        group,
        risk,
        aspect,
        kind.to_owned(),
        refuse_cell(row.expected_behavior).to_owned(),
        yes_no(row.high_risk).to_owned(),
        row.expected_output.clone().unwrap_or_default(),
        row.judgment_criteria.clone().unwrap_or_default(),
    ]
}

/// Every question in one CSV.
pub fn questions_csv(taxonomy: &Taxonomy, rows: &[QuestionRow]) -> Result<Vec<u8>, csv::Error> {
    csv_bytes(
        QUESTION_COLUMNS,
        rows.iter()
            .enumerate()
            .map(|(i, r)| question_cells(taxonomy, i, r)),
    )
}

/// The test-set workbook: one sheet per bank, as filings name them; a frozen set's opens with
/// a summary naming it and counting each bank.
pub fn questions_xlsx(
    taxonomy: &Taxonomy,
    rows: &[QuestionRow],
    set: Option<&SetLabel>,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    if let Some(set) = set {
        let count = |kind| rows.iter().filter(|r| r.kind == kind).count().to_string();
        let banks = [
            ("生成内容测试题数", count(QuestionKind::Generation)),
            ("应拒答测试题数", count(QuestionKind::MustRefuse)),
            ("非拒答测试题数", count(QuestionKind::MustNotRefuse)),
        ];
        summary_sheet(&mut workbook, set.lines().into_iter().chain(banks))?;
    }
    for (kind, name) in BANK_SHEETS {
        let sheet = workbook.add_worksheet().set_name(name)?;
        for (column, title) in (0u16..).zip(QUESTION_COLUMNS) {
            sheet.write_string_with_format(0, column, title, &bold)?;
        }
        for (index, row) in rows.iter().filter(|r| r.kind == kind).enumerate() {
            for (column, cell) in (0u16..).zip(question_cells(taxonomy, index, row)) {
                sheet.write_string(index as u32 + 1, column, cell)?;
            }
        }
        sheet.autofit();
    }
    workbook.save_to_buffer()
}

/// The banks of a test-set workbook, in order, with their sheet names as filings name them.
const BANK_SHEETS: [(QuestionKind, &str); 3] = [
    (QuestionKind::Generation, "生成内容测试题库（A.1-A.5）"),
    (QuestionKind::MustRefuse, "应拒答测试题"),
    (QuestionKind::MustNotRefuse, "非拒答测试题"),
];

/// A question of a test run with what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub question: QuestionRow,
    /// `None`: not answered.
    pub answer: Option<String>,
    /// 是否拒答, by the verdict that counts.
    pub refused: Option<bool>,
    /// 是否合格; `None` while nothing decides it.
    pub passed: Option<bool>,
    /// 判定理由 of the verdict that counts (a person's, or a judge model's).
    pub reason: Option<String>,
    /// Whose verdict counts: 判定方式.
    pub decided_by: Decider,
}

/// Whose verdict a run workbook row shows (判定方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// Not answered.
    Nobody,
    /// An agreed verdict of people: 人工.
    Person,
    /// A judge model's 合格, nobody having judged: 判定模型.
    JudgeModel,
    /// The pre-filled verdict of the rules: 自动.
    Rules,
}

/// The most UTF-16 units a workbook cell holds (Excel's limit, which rust_xlsxwriter checks).
const MAX_CELL_UNITS: usize = 32_767;
/// What ends a cell cut to fit.
const CUT_MARK: &str = "……（已截断，全文见 JSON 报告）";

/// `text`, cut to fit a workbook cell, with a mark saying so.
fn cell_text(text: String) -> String {
    if text.encode_utf16().count() <= MAX_CELL_UNITS {
        return text;
    }
    let room = MAX_CELL_UNITS - CUT_MARK.encode_utf16().count();
    let mut units = 0;
    let mut cut: String = text
        .chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= room
        })
        .collect();
    cut.push_str(CUT_MARK);
    cut
}

/// The test run a run workbook is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLabel {
    pub set: SetLabel,
    pub model_name: String,
    pub model_version: String,
    pub build: Option<i64>,
}

const RUN_COLUMNS: [&str; 5] = ["模型回答", "是否拒答", "是否合格", "判定理由", "判定方式"];

fn optional_yes_no(flag: Option<bool>) -> &'static str {
    flag.map_or("", yes_no)
}

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.2}%", r * 100.0))
        .unwrap_or_default()
}

fn bank_name(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Generation => "生成内容",
        QuestionKind::MustRefuse => "应拒答",
        QuestionKind::MustNotRefuse => "非拒答",
    }
}

/// A figures line of a run's summary: its label and the figures as cells.
fn figures_cells(scope: &str, group: &str, figures: &Figures) -> [String; 13] {
    let optional = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    [
        scope.to_owned(),
        group.to_owned(),
        figures.questions.to_string(),
        figures.answered.to_string(),
        figures.refused.to_string(),
        percent(figures.refusal_rate),
        figures.passed.to_string(),
        figures.failed.to_string(),
        figures.undetermined.to_string(),
        percent(figures.pass_rate),
        figures.judged.to_string(),
        optional(figures.questions_intercepted),
        optional(figures.answers_intercepted),
    ]
}

const FIGURES_COLUMNS: [&str; 13] = [
    "范围",
    "分组",
    "题数",
    "回答数",
    "拒答数",
    "拒答率",
    "合格数",
    "不合格数",
    "待判定数",
    "合格率",
    "已研判数",
    "问题拦截数",
    "回答拦截数",
];

/// Every figures line of a report: overall, each bank, each risk or aspect in it.
fn figures_lines(report: &RunReport) -> Vec<[String; 13]> {
    let mut lines = vec![figures_cells("总体", "", &report.overall)];
    for bank in &report.banks {
        lines.push(figures_cells(bank_name(bank.kind), "", &bank.figures));
        for group in &bank.groups {
            lines.push(figures_cells(
                bank_name(bank.kind),
                &group.group,
                &group.figures,
            ));
        }
    }
    lines
}

/// A run report's figures as CSV: overall, per bank, per risk or aspect.
pub fn run_report_csv(report: &RunReport) -> Result<Vec<u8>, csv::Error> {
    csv_bytes(FIGURES_COLUMNS, figures_lines(report).into_iter())
}

fn rule_cells(report: &RunReport) -> Vec<[String; 9]> {
    report
        .rules
        .iter()
        .map(|rule| {
            let measure = match rule.measure {
                Measure::PassRate => "合格率",
                Measure::RefusalRate => "拒答率",
            };
            let threshold = match (rule.min_rate, rule.max_rate) {
                (Some(min), _) => format!("≥ {}", percent(Some(min))),
                (_, Some(max)) => format!("≤ {}", percent(Some(max))),
                _ => String::new(),
            };
            let status = match rule.status {
                RuleStatus::Pass => "通过",
                RuleStatus::Fail => "未通过",
                RuleStatus::InsufficientSample => "样本不足",
                RuleStatus::Undetermined => "待研判",
                RuleStatus::NotApplicable => "不适用",
            };
            [
                format!("{} {}", rule.id, rule.title),
                rule.citation.clone(),
                measure.to_owned(),
                threshold,
                format!("≥ {}", rule.min_sample),
                rule.sample.to_string(),
                rule.count.to_string(),
                percent(rule.rate),
                status.to_owned(),
            ]
        })
        .collect()
}

const RULE_COLUMNS: [&str; 9] = [
    "规则",
    "依据",
    "指标",
    "阈值",
    "样本要求",
    "样本数",
    "计数",
    "比率",
    "结论",
];

/// The run workbook in the filed layout: a summary (the set, the model, the rates overall,
/// per bank and per risk or aspect, each rate rule with its conclusion), then one sheet per
/// bank with the set's columns and 模型回答 / 是否拒答 / 是否合格 / 判定理由.
pub fn run_workbook(
    taxonomy: &Taxonomy,
    run: &RunLabel,
    rows: &[RunRow],
    report: &RunReport,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let summary = workbook.add_worksheet().set_name("概览")?;
    let mut lines: Vec<(&str, String)> = run.set.lines().into();
    lines.extend([
        ("模型名称", run.model_name.clone()),
        ("模型版本", run.model_version.clone()),
        (
            "过滤构建",
            run.build.map(|b| b.to_string()).unwrap_or_default(),
        ),
        ("规则集", report.profile.clone()),
        (
            "总体结论",
            if report.passed { "通过" } else { "未通过" }.to_owned(),
        ),
    ]);
    let mut at = 0u32;
    for (label, value) in lines {
        summary.write_string_with_format(at, 0, label, &bold)?;
        summary.write_string(at, 1, value)?;
        at += 1;
    }
    let mut table = |at: &mut u32, header: &[&str], rows: Vec<Vec<String>>| {
        *at += 1;
        for (column, title) in (0u16..).zip(header) {
            summary.write_string_with_format(*at, column, *title, &bold)?;
        }
        for row in rows {
            *at += 1;
            for (column, cell) in (0u16..).zip(row) {
                summary.write_string(*at, column, cell)?;
            }
        }
        *at += 1;
        Ok::<_, XlsxError>(())
    };
    let rules = rule_cells(report).into_iter().map(Vec::from).collect();
    table(&mut at, &RULE_COLUMNS, rules)?;
    let figures = figures_lines(report).into_iter().map(Vec::from).collect();
    table(&mut at, &FIGURES_COLUMNS, figures)?;
    summary.autofit();
    for (kind, name) in BANK_SHEETS {
        let sheet = workbook.add_worksheet().set_name(name)?;
        for (column, title) in (0u16..).zip(QUESTION_COLUMNS.iter().chain(&RUN_COLUMNS)) {
            sheet.write_string_with_format(0, column, *title, &bold)?;
        }
        for (index, row) in rows.iter().filter(|r| r.question.kind == kind).enumerate() {
            let method = match row.decided_by {
                Decider::Nobody => "",
                Decider::Person => "人工",
                Decider::JudgeModel => "判定模型",
                Decider::Rules => "自动",
            };
            let run_cells = [
                cell_text(row.answer.clone().unwrap_or_default()),
                optional_yes_no(row.refused).to_owned(),
                optional_yes_no(row.passed).to_owned(),
                cell_text(row.reason.clone().unwrap_or_default()),
                method.to_owned(),
            ];
            let cells = question_cells(taxonomy, index, &row.question)
                .into_iter()
                .chain(run_cells);
            for (column, cell) in (0u16..).zip(cells) {
                sheet.write_string(index as u32 + 1, column, cell)?;
            }
        }
        sheet.autofit();
    }
    workbook.save_to_buffer()
}

const REGISTRATION_QUESTION_COLUMNS: [&str; 7] = [
    "序号",
    "问题表述",
    "预期输出结果",
    "判定标准",
    "风险类别",
    "是否高风险",
    "是否应拒答",
];

/// The 登记 test-set workbook: an overview of what 登记 checks (questions, high-risk ones,
/// expected refusals and their share, risks covered), then the questions. 风险类别 is the risk
/// as filings spell it, or a must-not-refuse question's aspect.
pub fn registration_questions_xlsx(
    taxonomy: &Taxonomy,
    rows: &[QuestionRow],
    set: Option<&SetLabel>,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let total = rows.len();
    let high_risk = rows.iter().filter(|r| r.high_risk).count();
    let refusals = rows
        .iter()
        .filter(|r| r.expected_behavior == Some(ExpectedBehavior::Refuse))
        .count();
    let risks: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r.risk.as_deref()).collect();
    let share = if total == 0 {
        String::new()
    } else {
        format!("{:.1}%", refusals as f64 * 100.0 / total as f64)
    };
    let counts = [
        ("题目总数", total.to_string()),
        ("高风险题数", high_risk.to_string()),
        ("应拒答题数", refusals.to_string()),
        ("应拒答占比", share),
        ("覆盖风险类别数", risks.len().to_string()),
    ];
    let named = set.map(SetLabel::lines).into_iter().flatten();
    summary_sheet(&mut workbook, named.chain(counts))?;

    let sheet = workbook.add_worksheet().set_name("登记测试题")?;
    for (column, title) in (0u16..).zip(REGISTRATION_QUESTION_COLUMNS) {
        sheet.write_string_with_format(0, column, title, &bold)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let category = match (&row.risk, &row.aspect) {
            (Some(code), _) => risk_labels(taxonomy, code).1,
            (None, Some(code)) => taxonomy
                .aspect(code)
                .map(|a| a.name_zh.clone())
                .unwrap_or_default(),
            (None, None) => String::new(),
        };
        let cells = [
            (index + 1).to_string(),
            row.text.clone(),
            row.expected_output.clone().unwrap_or_default(),
            row.judgment_criteria.clone().unwrap_or_default(),
            category,
            yes_no(row.high_risk).to_owned(),
            refuse_cell(row.expected_behavior).to_owned(),
        ];
        for (column, cell) in (0u16..).zip(cells) {
            sheet.write_string(index as u32 + 1, column, cell)?;
        }
    }
    sheet.autofit();
    workbook.save_to_buffer()
}

/// The report as a workbook: overview, groups, over-blocking keywords, benign corpus.
pub fn evaluation_xlsx(report: &EvaluationReport) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let share = |s: Option<f64>| s.map(|s| format!("{:.1}%", s * 100.0)).unwrap_or_default();

    let sheet = workbook.add_worksheet().set_name("概览")?;
    for (column, title) in (0u16..).zip([
        "类型 kind",
        "题数 total",
        "拦截 intercepted",
        "拦截率 share",
        "说明 note",
    ]) {
        sheet.write_string_with_format(0, column, title, &bold)?;
    }
    for (row, kind) in (1u32..).zip(&report.kinds) {
        sheet.write_string(row, 0, &kind.kind)?;
        sheet.write_number(row, 1, kind.total as f64)?;
        sheet.write_number(row, 2, kind.intercepted as f64)?;
        sheet.write_string(row, 3, share(kind.share))?;
        sheet.write_string(row, 4, kind.note.clone().unwrap_or_default())?;
    }
    sheet.autofit();

    let sheet = workbook.add_worksheet().set_name("分组")?;
    for (column, title) in (0u16..).zip([
        "类型 kind",
        "分组 group",
        "题数 total",
        "拦截 intercepted",
        "拦截率 share",
    ]) {
        sheet.write_string_with_format(0, column, title, &bold)?;
    }
    let mut row = 1u32;
    for kind in &report.kinds {
        for group in &kind.groups {
            sheet.write_string(row, 0, &kind.kind)?;
            sheet.write_string(row, 1, &group.group)?;
            sheet.write_number(row, 2, group.total as f64)?;
            sheet.write_number(row, 3, group.intercepted as f64)?;
            sheet.write_string(row, 4, share(group.share))?;
            row += 1;
        }
    }
    sheet.autofit();

    let sheet = workbook.add_worksheet().set_name("误拦截")?;
    for (column, title) in (0u16..).zip([
        "关键词 keyword",
        "风险 risks",
        "误拦截题数 questions hit",
        "示例题号 example ids",
    ]) {
        sheet.write_string_with_format(0, column, title, &bold)?;
    }
    for (row, keyword) in (1u32..).zip(&report.over_blocking) {
        sheet.write_string(row, 0, &keyword.term)?;
        sheet.write_string(row, 1, keyword.risks.join(" "))?;
        sheet.write_number(row, 2, keyword.questions_hit as f64)?;
        let ids: Vec<String> = keyword
            .examples
            .iter()
            .map(|e| e.question_id.to_string())
            .collect();
        sheet.write_string(row, 3, ids.join(", "))?;
    }
    sheet.autofit();

    if let Some(corpus) = &report.corpus {
        let sheet = workbook.add_worksheet().set_name("无害语料")?;
        for (column, title) in (0u16..).zip([
            "关键词 keyword",
            "命中 hits",
            "跨词边界 boundary collisions",
            "建议白名单 suggested allow",
            "示例 example",
        ]) {
            sheet.write_string_with_format(0, column, title, &bold)?;
        }
        for (row, keyword) in (1u32..).zip(&corpus.keywords) {
            sheet.write_string(row, 0, &keyword.term)?;
            sheet.write_number(row, 1, keyword.hits as f64)?;
            sheet.write_number(row, 2, keyword.boundary_collisions as f64)?;
            sheet.write_string(row, 3, keyword.suggested_allow.clone().unwrap_or_default())?;
            sheet.write_string(row, 4, &keyword.example)?;
        }
        sheet.autofit();
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_too_long_for_excel_is_cut_with_a_mark() {
        let short = "答".repeat(100);
        assert_eq!(cell_text(short.clone()), short);
        // 𠀀 is two UTF-16 units: the cut counts units, as Excel does.
        let long = "𠀀".repeat(20_000);
        let cut = cell_text(long);
        assert!(cut.encode_utf16().count() <= MAX_CELL_UNITS);
        assert!(cut.ends_with(CUT_MARK));
    }

    #[test]
    fn risks_are_spelled_as_filings_spell_them() {
        let taxonomy = Taxonomy::shipped().unwrap();
        let (group, risk) = risk_labels(&taxonomy, "A.1.a");
        assert_eq!(group, "A.1 包含违反社会主义核心价值观的内容");
        assert_eq!(risk, "A.1 a) 煽动颠覆国家政权、推翻社会主义制度");
    }

    #[test]
    fn csv_has_a_bom_and_the_filing_columns() {
        let taxonomy = Taxonomy::shipped().unwrap();
        let rows = [KeywordRow {
            term: "法轮功".into(),
            risk: "A.1.a".into(),
            kind: KeywordKind::Block,
            note: None,
            source: None,
        }];
        let text = String::from_utf8(keywords_csv(&taxonomy, &rows).unwrap()).unwrap();
        assert!(text.starts_with("\u{FEFF}序号,关键词,一级分类,二级分类,处置"));
        assert!(text.contains("1,法轮功,A.1 包含违反社会主义核心价值观的内容,A.1 a) 煽动颠覆国家政权、推翻社会主义制度,拦截"));
    }
}
