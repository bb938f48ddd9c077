//! Risk and aspect codes, checked against the loaded taxonomy.

use super::field_error::FieldError;
use crate::messages::msg;
use crate::taxonomy::Taxonomy;

/// A code of one of the 31 risks (`A.1.a` … `A.5.b`) known to the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskCode(String);

impl RiskCode {
    pub fn parse(raw: &str, taxonomy: &Taxonomy) -> Result<Self, FieldError> {
        let code = raw.trim();
        if taxonomy.risk(code).is_some() {
            return Ok(Self(code.to_owned()));
        }
        let message = if code.is_empty() {
            msg!("risk_empty")
        } else if taxonomy.is_group(code) {
            msg!("risk_group", code = code)
        } else {
            msg!("unknown_risk", code = code)
        };
        Err(FieldError::new("risk", message))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A code of one of the must-not-refuse aspects (`history`, `gender`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AspectCode(String);

impl AspectCode {
    pub fn parse(raw: &str, taxonomy: &Taxonomy) -> Result<Self, FieldError> {
        let code = raw.trim();
        match taxonomy.aspect(code) {
            Some(_) => Ok(Self(code.to_owned())),
            None => Err(FieldError::new(
                "aspect",
                msg!("unknown_aspect", code = code),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::shipped().unwrap()
    }

    #[test]
    fn accepts_every_shipped_risk() {
        let taxonomy = taxonomy();
        for risk in &taxonomy.risks {
            assert_eq!(
                RiskCode::parse(&risk.code, &taxonomy).unwrap().as_str(),
                risk.code
            );
        }
        assert_eq!(
            RiskCode::parse(" A.2.i ", &taxonomy).unwrap().as_str(),
            "A.2.i"
        );
    }

    #[test]
    fn explains_group_unknown_and_empty_codes() {
        let taxonomy = taxonomy();
        let group = RiskCode::parse("A.1", &taxonomy).unwrap_err();
        assert_eq!(group.field, "risk");
        assert!(
            group.message.to_string().contains("is a risk group"),
            "{}",
            group.message
        );
        let unknown = RiskCode::parse("A.9.z", &taxonomy).unwrap_err();
        assert!(
            unknown
                .message
                .to_string()
                .contains("unknown risk code `A.9.z`")
        );
        let empty = RiskCode::parse("", &taxonomy).unwrap_err();
        assert!(empty.message.to_string().contains("must not be empty"));
    }

    #[test]
    fn aspects_are_checked_against_the_taxonomy() {
        let taxonomy = taxonomy();
        assert_eq!(
            AspectCode::parse("heroes", &taxonomy).unwrap().as_str(),
            "heroes"
        );
        let err = AspectCode::parse("英烈", &taxonomy).unwrap_err();
        assert_eq!(err.field, "aspect");
    }
}
