//! What a column holds, recognised from its header in Chinese or English.

/// A column lexset understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// The keyword (关键词 / 词条 / term).
    Term,
    /// A risk in any spelling (风险类别 / 类别 / 安全风险项 / risk / category).
    Risk,
    /// 一级分类: the risk group (A.1 …).
    Group,
    /// 二级分类: the risk within the group.
    Subgroup,
    /// A question (题目 / 问题 / 测试题 / question).
    Question,
    /// Whether the model must refuse (是否应拒答 / 测试类型).
    MustRefuse,
    /// 预期输出 / 预期输出结果 / expected output.
    ExpectedOutput,
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
}

/// Header spellings per column, compared after trimming and lower-casing.
const ALIASES: [(Column, &[&str]); 13] = [
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
            "risk",
            "category",
        ],
    ),
    (Column::Group, &["一级分类", "一级类别"]),
    (Column::Subgroup, &["二级分类", "二级类别"]),
    (
        Column::Question,
        &[
            "题目",
            "问题",
            "测试题",
            "问题表述",
            "question",
            "text",
            "prompt",
        ],
    ),
    (
        Column::MustRefuse,
        &["是否应拒答", "应拒答", "测试类型", "must_refuse"],
    ),
    (
        Column::ExpectedOutput,
        &[
            "预期输出",
            "预期输出结果",
            "答案",
            "expected_output",
            "expected output",
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
    use super::*;

    #[test]
    fn recognises_chinese_and_english_headers() {
        assert_eq!(recognise(" 关键词 "), Some(Column::Term));
        assert_eq!(recognise("Keyword"), Some(Column::Term));
        assert_eq!(recognise("二级分类"), Some(Column::Subgroup));
        assert_eq!(recognise("判定标准"), Some(Column::JudgmentCriteria));
        assert_eq!(recognise("序号"), None);
    }
}
