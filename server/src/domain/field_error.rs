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
