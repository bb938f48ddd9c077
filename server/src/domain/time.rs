//! Times clients send: RFC 3339.

use chrono::{DateTime, Utc};

use super::field_error::FieldError;

/// An RFC 3339 time in field `field`.
pub fn parse_time(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            FieldError::new(
                field,
                format!(
                    "`{field}` must be an RFC 3339 time such as 2027-06-30T00:00:00Z, not `{raw}`"
                ),
            )
        })
}

/// An RFC 3339 time after `now`.
pub fn parse_expiry(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let at = parse_time("expires_at", raw)?;
    if at <= now {
        return Err(FieldError::unprocessable(
            "expires_at",
            "`expires_at` must be in the future",
        ));
    }
    Ok(at)
}
