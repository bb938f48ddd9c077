//! A benign corpus for evaluations: the texts a filter should not intercept.

use super::field_error::FieldError;

/// Splits a corpus into texts; JSONL lines must be strings or objects with `text`/`prompt`.
pub fn corpus_lines(corpus: &str, format: Option<&str>) -> Result<Vec<String>, FieldError> {
    let lines = corpus.lines().map(str::trim).filter(|l| !l.is_empty());
    match format.unwrap_or("text") {
        "text" => Ok(lines.map(str::to_owned).collect()),
        "jsonl" => lines
            .enumerate()
            .map(|(index, line)| {
                let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                    FieldError::unprocessable("corpus", format!("JSONL line {}: {e}", index + 1))
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
                    FieldError::unprocessable(
                        "corpus",
                        format!("JSONL line {} is neither a string nor an object with `text` or `prompt`", index + 1),
                    )
                })
            })
            .collect(),
        other => Err(FieldError::new(
            "corpus_format",
            format!("`corpus_format` must be text or jsonl, not `{other}`"),
        )),
    }
}
