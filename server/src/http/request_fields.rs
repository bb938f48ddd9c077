//! Reading optional and nullable request fields into domain values.
//!
//! In an edit (`PATCH`), an absent field is left alone and `null` clears an optional field;
//! `null` for a required field is refused rather than ignored.

use serde::{Deserialize, Deserializer};

use crate::domain::field_error::FieldError;
use crate::messages::msg;

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An integer of a JSON body as JSON Schema counts integers: `3` and `3.0` alike (a client
/// that writes numbers as doubles sends the latter). Anything else, or a value outside `T`,
/// is refused as the field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonInt<T>(pub T);

impl<'de, T: TryFrom<i128>> Deserialize<'de> for JsonInt<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Whole;
        impl serde::de::Visitor<'_> for Whole {
            type Value = i128;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i128, E> {
                Ok(i128::from(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i128, E> {
                Ok(i128::from(v))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i128, E> {
                // Beyond ±2^53 a double is not one whole number but the nearest of several:
                // taking it could name another id than the client meant.
                if v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0 {
                    Ok(v as i128)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
                }
            }
        }
        let whole = deserializer.deserialize_any(Whole)?;
        T::try_from(whole).map(JsonInt).map_err(|_| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Other("a number out of range"),
                &"a whole number in range",
            )
        })
    }
}

/// The value of an optional [`JsonInt`] field.
pub fn int<T>(value: Option<JsonInt<T>>) -> Option<T> {
    value.map(|JsonInt(v)| v)
}

/// The values of an optional list of [`JsonInt`]s.
pub fn ints<T>(values: Option<Vec<JsonInt<T>>>) -> Option<Vec<T>> {
    values.map(|values| values.into_iter().map(|JsonInt(v)| v).collect())
}

/// Parses a field that a create requires.
pub fn required<T>(
    field: &'static str,
    raw: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    parse(&raw.ok_or_else(|| FieldError::missing(field))?)
}

/// Parses a field that may be left out.
pub fn optional<T>(
    raw: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    raw.as_deref().map(parse).transpose()
}

/// The `limit` of a newest-first list (builds, evaluations, coverage history, tokens): the
/// newest `limit` items; older ones stay reachable by their number or id.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NewestQuery {
    /// Items returned, 1–1000 (default 100), newest first.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

impl NewestQuery {
    /// The limit, checked like every list's.
    pub fn limit(&self) -> Result<u64, FieldError> {
        Ok(crate::services::page::PageRequest::parse(self.limit.as_deref(), None)?.limit)
    }
}

/// Paging of a list in id order: `limit` and the `cursor` of the previous page.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–1000 (default 100).
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<crate::services::page::PageRequest, FieldError> {
        crate::services::page::PageRequest::parse(self.limit.as_deref(), self.cursor.as_deref())
    }
}

/// Parses a parameter naming a resource by its id (a question set, say).
pub fn id_parameter(field: &'static str, raw: &str) -> Result<i64, FieldError> {
    raw.parse::<i64>()
        .map_err(|_| FieldError::new(field, msg!("not_an_id", field = field, value = raw)))
}

/// Parses a `true` / `false` parameter.
pub fn flag(field: &'static str, raw: &str) -> Result<bool, FieldError> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(FieldError::new(
            field,
            msg!("not_a_flag", field = field, value = raw),
        )),
    }
}

/// Parses an edit of a required field: absent leaves it alone, `null` is refused.
pub fn edit_required<T>(
    field: &'static str,
    raw: Option<Option<String>>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    match raw {
        None => Ok(None),
        Some(None) => Err(FieldError::new(field, msg!("cannot_clear", field = field))),
        Some(Some(value)) => parse(&value).map(Some),
    }
}

/// Parses an edit of an optional field: absent leaves it alone, `null` clears it.
pub fn edit_optional<T>(
    raw: Option<Option<String>>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<Option<T>>, FieldError> {
    raw.map(|value| optional(value, parse)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::Note;

    #[test]
    fn required_fields_must_be_present() {
        assert_eq!(
            required("note", None, Note::parse)
                .unwrap_err()
                .message
                .to_string(),
            "`note` is required"
        );
        assert!(required("note", Some("x".into()), Note::parse).is_ok());
    }

    #[test]
    fn edits_distinguish_absent_null_and_value() {
        assert_eq!(edit_optional(None, Note::parse), Ok(None));
        assert_eq!(edit_optional(Some(None), Note::parse), Ok(Some(None)));
        assert!(matches!(
            edit_optional(Some(Some("x".into())), Note::parse),
            Ok(Some(Some(_)))
        ));
        assert_eq!(
            edit_required("note", Some(None), Note::parse)
                .unwrap_err()
                .message
                .to_string(),
            "`note` cannot be cleared"
        );
    }
}
