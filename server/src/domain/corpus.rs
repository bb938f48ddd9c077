//! A benign corpus for evaluations: the texts a filter should not intercept.

use super::field_error::FieldError;
use crate::messages::msg;

/// Splits a corpus into texts; JSONL lines must be strings or objects with `text`/`prompt`.
pub fn corpus_lines(corpus: &str, format: Option<&str>) -> Result<Vec<String>, FieldError> {
    let lines = corpus.lines().map(str::trim).filter(|l| !l.is_empty());
    match format.unwrap_or("text") {
        "text" => Ok(lines.map(str::to_owned).collect()),
        "jsonl" => lines
            .enumerate()
            .map(|(index, line)| {
                let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                    FieldError::unprocessable(
                        "corpus",
                        msg!(
                            "corpus_line_not_json",
                            line = index + 1,
                            detail = e.to_string()
                        ),
                    )
                })?;
                match &value {
                    serde_json::Value::String(text) => Some(text.clone()),
                    serde_json::Value::Object(object) => object
                        .get("text")
                        .or_else(|| object.get("prompt"))
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                    _ => None,
                }
                .ok_or_else(|| {
                    FieldError::unprocessable("corpus", msg!("corpus_line_shape", line = index + 1))
                })
            })
            .collect(),
        other => Err(FieldError::new(
            "corpus_format",
            msg!("corpus_format_value", value = other),
        )),
    }
}
