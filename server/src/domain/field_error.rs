/// Client input that does not parse, naming the field at fault.
///
/// The HTTP layer turns it into `400` with the stable code `invalid_<field>`; `field` is always
/// one of the documented request field names, so the set of codes is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

impl FieldError {
    /// A required field that the request left out (or set to `null`).
    pub fn missing(field: &'static str) -> Self {
        Self::new(field, format!("`{field}` is required"))
    }
}

/// The value of `all` whose name is `raw`, or an error on `field` listing every name: how the
/// closed sets (statuses, kinds, roles) parse.
pub fn one_of<T: Copy>(
    field: &'static str,
    what: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
    raw: &str,
) -> Result<T, FieldError> {
    all.iter()
        .copied()
        .find(|value| name(*value) == raw)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|value| name(*value)).collect();
            FieldError::new(
                field,
                format!(
                    "unknown {what} `{raw}`; expected one of {}",
                    names.join(", ")
                ),
            )
        })
}
