//! The risk a row names, in the spellings filings use.

use std::collections::HashMap;

/// A risk as resolution needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskInfo {
    pub code: String,
    pub name_zh: String,
    pub group_code: String,
    pub group_name_zh: String,
}

/// Resolves risk spellings to codes: `A.1.f`, `A.1 f) 宣扬暴力、淫秽色情`, `A.1.f 宣扬…`, the
/// bare name, an 一级分类 + 二级分类 pair, or a user mapping (e.g. 色情词库 → A.1.f, also
/// used for file names).
#[derive(Debug, Clone)]
pub struct RiskResolver {
    risks: Vec<RiskInfo>,
    mapping: HashMap<String, String>,
}

impl RiskResolver {
    /// `mapping` values must be risk codes of `risks`; the others are refused.
    pub fn new(risks: Vec<RiskInfo>, mapping: HashMap<String, String>) -> Result<Self, String> {
        if let Some((label, code)) = mapping
            .iter()
            .find(|(_, code)| !risks.iter().any(|r| &r.code == *code))
        {
            return Err(format!(
                "the mapping sends `{label}` to `{code}`, which is no risk code"
            ));
        }
        Ok(Self { risks, mapping })
    }

    /// The code `raw` names, if any.
    pub fn resolve(&self, raw: &str) -> Option<&str> {
        let raw = raw.trim();
        if let Some(code) = self.mapping.get(raw) {
            return Some(code.as_str());
        }
        if let Some(code) = self.code_prefix(raw) {
            return Some(code);
        }
        self.risks
            .iter()
            .find(|r| r.name_zh == raw)
            .map(|r| r.code.as_str())
    }

    /// A code at the start of `raw`: `A.1.f`, `A.1 f)`, `A.1.f)`, `a.1 f`, then anything.
    fn code_prefix(&self, raw: &str) -> Option<&str> {
        let mut chars = raw.chars();
        let (a, dot, digit) = (chars.next()?, chars.next()?, chars.next()?);
        if !a.eq_ignore_ascii_case(&'a') || dot != '.' || !digit.is_ascii_digit() {
            return None;
        }
        let rest: String = chars.collect();
        let rest = rest.trim_start_matches(['.', ' ', '\u{3000}']);
        let letter = rest.chars().next()?.to_ascii_lowercase();
        let after = &rest[letter.len_utf8()..];
        if !letter.is_ascii_lowercase()
            || after
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return None;
        }
        let code = format!("A.{digit}.{letter}");
        self.risks
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.code.as_str())
    }

    /// The code an 一级分类 (`group`) + 二级分类 (`subgroup`) pair names; a subgroup alone
    /// must name the risk itself, a group alone is not enough.
    pub fn resolve_pair(&self, group: Option<&str>, subgroup: Option<&str>) -> Option<&str> {
        let code = self.resolve(subgroup?)?;
        match group.map(str::trim).filter(|g| !g.is_empty()) {
            None => Some(code),
            Some(group) => {
                let risk = self.risks.iter().find(|r| r.code == code)?;
                let named = group.starts_with(&risk.group_code)
                    || group.contains(&risk.group_name_zh)
                    || self
                        .mapping
                        .get(group)
                        .is_some_and(|c| c.starts_with(&risk.group_code));
                named.then_some(code)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(mapping: &[(&str, &str)]) -> RiskResolver {
        let risk = |code: &str, name: &str, group: &str, group_name: &str| RiskInfo {
            code: code.into(),
            name_zh: name.into(),
            group_code: group.into(),
            group_name_zh: group_name.into(),
        };
        let risks = vec![
            risk(
                "A.1.a",
                "煽动颠覆国家政权、推翻社会主义制度",
                "A.1",
                "包含违反社会主义核心价值观的内容",
            ),
            risk(
                "A.1.f",
                "宣扬暴力、淫秽色情",
                "A.1",
                "包含违反社会主义核心价值观的内容",
            ),
            risk("A.2.e", "性别歧视内容", "A.2", "包含歧视性内容"),
        ];
        let mapping = mapping
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        RiskResolver::new(risks, mapping).unwrap()
    }

    #[test]
    fn every_filing_spelling_resolves() {
        let r = resolver(&[("色情词库", "A.1.f")]);
        for spelling in [
            "A.1.f",
            "a.1.f",
            "A.1 f) 宣扬暴力、淫秽色情",
            "A.1.f）宣扬暴力",
            "A.1 f",
            "宣扬暴力、淫秽色情",
            "色情词库",
            " A.1.f ",
        ] {
            assert_eq!(r.resolve(spelling), Some("A.1.f"), "{spelling}");
        }
        for unknown in ["A.1.z", "A.1", "A.1.ff", "暴力", "B.1.a", ""] {
            assert_eq!(r.resolve(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn group_and_subgroup_columns_must_agree() {
        let r = resolver(&[]);
        assert_eq!(
            r.resolve_pair(
                Some("A.1 包含违反社会主义核心价值观的内容"),
                Some("宣扬暴力、淫秽色情")
            ),
            Some("A.1.f")
        );
        assert_eq!(
            r.resolve_pair(Some("包含歧视性内容"), Some("性别歧视内容")),
            Some("A.2.e")
        );
        assert_eq!(
            r.resolve_pair(Some("A.2"), Some("宣扬暴力、淫秽色情")),
            None
        );
        assert_eq!(r.resolve_pair(None, Some("A.2.e")), Some("A.2.e"));
        assert_eq!(r.resolve_pair(Some("A.1"), None), None);
    }

    #[test]
    fn a_mapping_to_an_unknown_code_is_refused() {
        let err = RiskResolver::new(Vec::new(), [("x".into(), "A.9.z".into())].into()).unwrap_err();
        assert!(err.contains("A.9.z"));
    }
}
