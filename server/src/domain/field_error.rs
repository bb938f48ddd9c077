use crate::messages::{Message, msg};

/// Client input that does not parse, naming the field at fault.
///
/// The HTTP layer turns it into `400` with the stable code `invalid_<field>`; `field` is always
/// one of the documented request field names, so the set of codes is fixed. `message` says
/// why, in any language; its key names the reason (`required`, `too_long`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: Message,
}

impl FieldError {
    pub fn new(field: &'static str, message: Message) -> Self {
        Self { field, message }
    }

    /// A required field that the request left out (or set to `null`).
    pub fn missing(field: &'static str) -> Self {
        Self::new(field, msg!("required", field = field))
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// The value of `all` whose name is `raw`, or an error on `field` listing every name: how the
/// closed sets (statuses, kinds, roles) parse. `what` is the word for a value of the set.
pub fn one_of<T: Copy>(
    field: &'static str,
    what: Message,
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
                msg!(
                    "unknown_value",
                    what = what,
                    value = raw,
                    expected = names.join(", ")
                ),
            )
        })
}
