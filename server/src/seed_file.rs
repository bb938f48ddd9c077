//! Seed files that a data directory may replace whole (the answer templates, the refusal
//! phrases): which text is in force, and where it came from. Read once at start.

use std::borrow::Cow;
use std::path::Path;

/// A seed file's text and where it was read from (`seeds/<name>` or the replacing file's
/// path), for messages and for the API to show.
pub struct SeedText {
    pub origin: String,
    pub text: Cow<'static, str>,
}

/// `<data_dir>/<name>` when it exists, else `shipped`, the text of `seeds/<name>` compiled in.
/// A replacing file that cannot be read is an error: its path and why.
pub fn in_force(
    data_dir: &Path,
    name: &str,
    shipped: &'static str,
) -> Result<SeedText, (String, String)> {
    let path = data_dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(SeedText {
            origin: path.display().to_string(),
            text: Cow::Owned(text),
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(SeedText {
            origin: format!("seeds/{name}"),
            text: Cow::Borrowed(shipped),
        }),
        Err(error) => Err((path.display().to_string(), error.to_string())),
    }
}
