use crate::messages::{Message, msg};

/// Client input refused, naming the field at fault.
///
/// The HTTP layer answers it with the stable code `invalid_<field>`: `400` when the value
/// breaks the field's documented syntax, `422` when it is well-formed but refused for what it
/// means (a term that folds to nothing, a question left without its risk) — rules the API
/// document cannot state. `field` is always one of the documented request field names, so the
/// set of codes is fixed. `message` says why, in any language; its key names the reason
/// (`required`, `too_long`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: Message,
    /// Well-formed, refused for its meaning (`422`).
    pub unprocessable: bool,
}

impl FieldError {
    /// A value that breaks the field's syntax.
    pub fn new(field: &'static str, message: Message) -> Self {
        Self {
            field,
            message,
            unprocessable: false,
        }
    }

    /// A well-formed value refused for what it means.
    pub fn unprocessable(field: &'static str, message: Message) -> Self {
        Self {
            unprocessable: true,
            ..Self::new(field, message)
        }
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
