//! Times clients send: RFC 3339.

use chrono::{DateTime, Utc};

use super::field_error::FieldError;
use crate::messages::msg;

/// An RFC 3339 time in field `field`.
pub fn parse_time(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| FieldError::new(field, msg!("rfc3339", field = field, value = raw)))
}

/// An RFC 3339 time after `now`.
pub fn parse_expiry(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let at = parse_time("expires_at", raw)?;
    if at <= now {
        return Err(FieldError::unprocessable(
            "expires_at",
            msg!("expiry_in_past"),
        ));
    }
    Ok(at)
}
