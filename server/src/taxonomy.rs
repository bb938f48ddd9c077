//! The risk taxonomy and the must-not-refuse aspects, read from the data files in `seeds/`.
//!
//! The files are compiled into the binary so that `lexset serve` needs nothing beside it; they
//! are parsed once at start, loaded into the store (see `services::taxonomy`) and kept in memory
//! to validate entries without a database round trip.

use serde::Deserialize;

const RISKS_TOML: &str = include_str!("../../seeds/risks.toml");
const ASPECTS_TOML: &str = include_str!("../../seeds/aspects.toml");

/// One of the 31 risks of TC260-003 Appendix A, e.g. `A.1.a`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub group_code: String,
    pub group_name_zh: String,
    pub group_name_en: String,
}

/// One aspect a must-not-refuse question covers (TC260-003 §8.3), e.g. `history` (历史).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aspect {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub scope: String,
}

/// The risks and aspects, in the order of the standard.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub risks: Vec<Risk>,
    pub aspects: Vec<Aspect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RisksFile {
    groups: Vec<GroupEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupEntry {
    code: String,
    name_zh: String,
    name_en: String,
    risks: Vec<RiskEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskEntry {
    code: String,
    name_zh: String,
    name_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AspectsFile {
    aspects: Vec<Aspect>,
}

#[derive(Debug, thiserror::Error)]
#[error("seed file {file} is invalid: {message}")]
pub struct SeedError {
    file: &'static str,
    message: String,
}

impl Taxonomy {
    /// The taxonomy shipped in `seeds/`.
    pub fn shipped() -> Result<Self, SeedError> {
        Self::from_toml(RISKS_TOML, ASPECTS_TOML)
    }

    fn from_toml(risks_toml: &str, aspects_toml: &str) -> Result<Self, SeedError> {
        let risks_file: RisksFile = toml::from_str(risks_toml).map_err(|e| SeedError {
            file: "seeds/risks.toml",
            message: e.to_string(),
        })?;
        let aspects_file: AspectsFile = toml::from_str(aspects_toml).map_err(|e| SeedError {
            file: "seeds/aspects.toml",
            message: e.to_string(),
        })?;
        let risks: Vec<Risk> = risks_file
            .groups
            .into_iter()
            .flat_map(|group| {
                group.risks.into_iter().map(move |risk| Risk {
                    code: risk.code,
                    name_zh: risk.name_zh,
                    name_en: risk.name_en,
                    group_code: group.code.clone(),
                    group_name_zh: group.name_zh.clone(),
                    group_name_en: group.name_en.clone(),
                })
            })
            .collect();
        for risk in &risks {
            if !risk.code.starts_with(&format!("{}.", risk.group_code)) {
                return Err(SeedError {
                    file: "seeds/risks.toml",
                    message: format!("risk {} is not in group {}", risk.code, risk.group_code),
                });
            }
        }
        Ok(Self {
            risks,
            aspects: aspects_file.aspects,
        })
    }

    pub fn risk(&self, code: &str) -> Option<&Risk> {
        self.risks.iter().find(|risk| risk.code == code)
    }

    pub fn aspect(&self, code: &str) -> Option<&Aspect> {
        self.aspects.iter().find(|aspect| aspect.code == code)
    }

    /// The aspect `raw` names by its code or its Chinese name (历史), as files spell it.
    pub fn aspect_named(&self, raw: &str) -> Option<&Aspect> {
        let raw = raw.trim();
        self.aspects
            .iter()
            .find(|aspect| aspect.code == raw || aspect.name_zh == raw)
    }

    /// Whether `code` names a group (`A.1`) rather than a risk.
    pub fn is_group(&self, code: &str) -> bool {
        self.risks.iter().any(|risk| risk.group_code == code)
    }
}

/// Whether risk `risk` is `code` or lies in group `code` (`A.1.a` is in `A.1`, not in `A.11`).
pub fn risk_in(risk: &str, code: &str) -> bool {
    risk.strip_prefix(code)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_taxonomy_has_the_31_risks_and_13_aspects() {
        let taxonomy = Taxonomy::shipped().unwrap();
        assert_eq!(taxonomy.risks.len(), 31);
        let per_group: Vec<usize> = ["A.1", "A.2", "A.3", "A.4", "A.5"]
            .iter()
            .map(|g| taxonomy.risks.iter().filter(|r| r.group_code == *g).count())
            .collect();
        assert_eq!(per_group, [8, 9, 5, 7, 2]);
        assert_eq!(taxonomy.aspects.len(), 13);
    }

    #[test]
    fn names_are_the_standards_own_wording() {
        let taxonomy = Taxonomy::shipped().unwrap();
        let risk = taxonomy.risk("A.3.d").unwrap();
        assert_eq!(
            risk.name_zh,
            "利用算法、数据、平台等优势，实施垄断和不正当竞争行为"
        );
        assert_eq!(risk.group_name_zh, "商业违法违规");
        assert_eq!(taxonomy.aspect("heroes").unwrap().name_zh, "英烈");
        assert!(taxonomy.is_group("A.5"));
        assert!(!taxonomy.is_group("A.5.a"));
    }

    #[test]
    fn a_risk_outside_its_group_is_refused() {
        let risks = r#"
            [[groups]]
            code = "A.1"
            name_zh = "g"
            name_en = "g"
            risks = [{ code = "A.2.a", name_zh = "x", name_en = "x" }]
        "#;
        let aspects = "aspects = []";
        let err = Taxonomy::from_toml(risks, aspects).unwrap_err();
        assert!(err.to_string().contains("A.2.a is not in group A.1"));
    }
}
