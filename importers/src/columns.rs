//! What a column holds, recognised from its header in Chinese or English.

/// A column lexset understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// The keyword (关键词 / 词条 / 敏感词 / term / keyword).
    Term,
    /// A risk in any spelling (风险类别 / 类别 / 违规类型 / 风险类型 / 安全风险 / risk /
    /// category).
    Risk,
    /// 一级分类: the risk group (A.1 …).
    Group,
    /// 二级分类 / 违规子类 / 风险子类: the risk within the group.
    Subgroup,
    /// A question (题目 / 问题 / 题干 / 提问 / 指令 / question / prompt / query / instruction
    /// / input).
    Question,
    /// Which bank a question belongs to (测试类型 / 题型 / 题库 / kind / question_kind).
    Kind,
    /// The behaviour expected of the model, refusing or answering (是否应拒答 / 应拒答 /
    /// 预期行为 / expected_behavior / must_refuse / behavior).
    ExpectedBehavior,
    /// What the model should output (预期输出 / 预期输出结果 / 预期回答 / expected output).
    ExpectedOutput,
    /// What some model did answer (答案 / 回答 / 模型回答 / response / answer / output /
    /// completion): public sets publish these next to their questions; never an expected
    /// output.
    ModelAnswer,
    /// 判定标准 / judgment criteria.
    JudgmentCriteria,
    /// 方面 / aspect.
    Aspect,
    /// 备注 / note.
    Note,
    /// 来源 / source.
    Source,
    /// 处置: what a keyword does (拦截 block, 放行 allow, 组合拦截 all_of).
    Disposition,
    /// 高风险: whether a question counts as high-risk (是 / 否).
    HighRisk,
    /// lexset's id of a question (题目编号 / 问题编号 / question_id): what answers to a test
    /// run are keyed by, when not by the question's text.
    QuestionId,
}

impl Column {
    /// Whether the column may hold a classification (a risk, group, aspect or bank, in some
    /// spelling) rather than free text or a yes/no flag; see
    /// [`Table::classification_cells`](crate::table::Table::classification_cells).
    pub fn may_classify(self) -> bool {
        match self {
            Self::Risk | Self::Group | Self::Subgroup | Self::Aspect | Self::Kind => true,
            Self::Term
            | Self::Question
            | Self::ExpectedBehavior
            | Self::ExpectedOutput
            | Self::ModelAnswer
            | Self::JudgmentCriteria
            | Self::Note
            | Self::Source
            | Self::Disposition
            | Self::HighRisk
            | Self::QuestionId => false,
        }
    }
}

/// Header spellings per column, compared after trimming and lower-casing. Invariant (tested):
/// every spelling is in lower case and belongs to one column only.
const ALIASES: &[(Column, &[&str])] = &[
    (
        Column::Term,
        &["关键词", "词条", "敏感词", "拦截关键词", "term", "keyword"],
    ),
    (
        Column::Risk,
        &[
            "风险类别",
            "类别",
            "分类",
            "安全风险项",
            "风险",
            "违规类型",
            "风险类型",
            "安全风险",
            "风险分类",
            "risk",
            "category",
        ],
    ),
    (Column::Group, &["一级分类", "一级类别"]),
    (
        Column::Subgroup,
        &[
            "二级分类",
            "二级类别",
            "违规子类",
            "子类",
            "二级风险",
            "风险子类",
        ],
    ),
    (
        Column::Question,
        &[
            "题目",
            "问题",
            "测试题",
            "问题表述",
            "问题内容",
            "题干",
            "提问",
            "指令",
            "question",
            "text",
            "prompt",
            "query",
            "instruction",
            "input",
        ],
    ),
    (
        Column::Kind,
        &["测试类型", "题型", "题库", "kind", "question_kind"],
    ),
    (
        Column::ExpectedBehavior,
        &[
            "是否应拒答",
            "应拒答",
            "预期行为",
            "expected_behavior",
            "must_refuse",
            "behavior",
        ],
    ),
    (
        Column::ExpectedOutput,
        &[
            "预期输出",
            "预期输出结果",
            "预期回答",
            "expected_output",
            "expected output",
        ],
    ),
    (
        Column::ModelAnswer,
        &[
            "答案",
            "回答",
            "模型回答",
            "模型输出",
            "response",
            "answer",
            "model_answer",
            "output",
            "completion",
        ],
    ),
    (
        Column::JudgmentCriteria,
        &[
            "判定标准",
            "判定准则",
            "judgment_criteria",
            "judgment criteria",
        ],
    ),
    (Column::Aspect, &["方面", "aspect"]),
    (Column::Note, &["备注", "说明", "note", "notes"]),
    (Column::Source, &["来源", "source"]),
    (Column::Disposition, &["处置", "处置方式", "disposition"]),
    (Column::HighRisk, &["高风险", "是否高风险", "high_risk"]),
    (
        Column::QuestionId,
        &["question_id", "题目id", "题目编号", "问题id", "问题编号"],
    ),
];

/// The column a header names, if lexset knows it.
pub fn recognise(header: &str) -> Option<Column> {
    let header = header.trim().trim_start_matches('\u{FEFF}').to_lowercase();
    ALIASES
        .iter()
        .find(|(_, names)| names.contains(&header.as_str()))
        .map(|(column, _)| *column)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn recognises_chinese_and_english_headers() {
        assert_eq!(recognise(" 关键词 "), Some(Column::Term));
        assert_eq!(recognise("Keyword"), Some(Column::Term));
        assert_eq!(recognise("二级分类"), Some(Column::Subgroup));
        assert_eq!(recognise("判定标准"), Some(Column::JudgmentCriteria));
        assert_eq!(recognise("\u{FEFF}Query"), Some(Column::Question));
        assert_eq!(recognise("序号"), None);
    }

    /// Every alias in a generated file of each shape that has headers: a UTF-8 CSV, a GBK CSV,
    /// JSONL and a JSON array; its column is read as that column.
    #[test]
    fn every_alias_is_read_from_a_generated_file_of_each_shape() {
        use crate::table::{Format, read};
        for (column, names) in ALIASES {
            for name in *names {
                let csv = format!("{name},序号\n甲乙丙,1\n");
                let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
                let object = format!("{{\"{name}\": \"甲乙丙\", \"序号\": \"1\"}}");
                for (bytes, format) in [
                    (csv.clone().into_bytes(), Format::Csv),
                    (gbk.into_owned(), Format::Csv),
                    (format!("{object}\n").into_bytes(), Format::Jsonl),
                    (format!("[{object}]").into_bytes(), Format::Json),
                ] {
                    let table = read(&bytes, format, None).unwrap();
                    let at = table
                        .columns
                        .iter()
                        .position(|c| *c == Some(*column))
                        .unwrap_or_else(|| panic!("{name} in {format:?}: {:?}", table.columns));
                    assert_eq!(table.rows[0].cells[at], "甲乙丙", "{name} in {format:?}");
                }
            }
        }
    }

    #[test]
    fn every_alias_names_its_column_and_no_other() {
        let mut owner: HashMap<&str, Column> = HashMap::new();
        for (column, names) in ALIASES {
            for name in *names {
                assert_eq!(*name, name.trim().to_lowercase(), "unreachable spelling");
                if let Some(first) = owner.insert(name, *column) {
                    panic!("`{name}` is listed under {first:?} and {column:?}");
                }
                assert_eq!(recognise(name), Some(*column), "{name}");
            }
        }
    }

    /// The spellings public question sets use, pinned so that a later edit of the table does
    /// not move one silently (答案 above all: a model's answer, not an expected output).
    #[test]
    fn public_question_set_headers() {
        for (header, column) in [
            ("query", Column::Question),
            ("Instruction", Column::Question),
            ("input", Column::Question),
            ("提问", Column::Question),
            ("指令", Column::Question),
            ("问题内容", Column::Question),
            ("题干", Column::Question),
            ("违规类型", Column::Risk),
            ("风险类型", Column::Risk),
            ("安全风险", Column::Risk),
            ("风险分类", Column::Risk),
            ("违规子类", Column::Subgroup),
            ("子类", Column::Subgroup),
            ("二级风险", Column::Subgroup),
            ("风险子类", Column::Subgroup),
            ("测试类型", Column::Kind),
            ("题型", Column::Kind),
            ("题库", Column::Kind),
            ("kind", Column::Kind),
            ("question_kind", Column::Kind),
            ("是否应拒答", Column::ExpectedBehavior),
            ("预期行为", Column::ExpectedBehavior),
            ("expected_behavior", Column::ExpectedBehavior),
            ("must_refuse", Column::ExpectedBehavior),
            ("behavior", Column::ExpectedBehavior),
            ("预期输出结果", Column::ExpectedOutput),
            ("预期回答", Column::ExpectedOutput),
            ("答案", Column::ModelAnswer),
            ("回答", Column::ModelAnswer),
            ("模型回答", Column::ModelAnswer),
            ("模型输出", Column::ModelAnswer),
            ("Response", Column::ModelAnswer),
            ("answer", Column::ModelAnswer),
            ("model_answer", Column::ModelAnswer),
            ("output", Column::ModelAnswer),
            ("completion", Column::ModelAnswer),
        ] {
            assert_eq!(recognise(header), Some(column), "{header}");
        }
        assert_eq!(recognise("参考答案"), None, "ambiguous: left to a mapping");
    }
}
