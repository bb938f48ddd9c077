//! Keyset pagination by id: stable under concurrent inserts, no offsets.

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use crate::domain::field_error::FieldError;
use crate::domain::text::whole_number;
use crate::messages::msg;

/// At most this many entries per page.
pub const MAX_LIMIT: u64 = 1000;
/// Entries per page when the client names no limit.
pub const DEFAULT_LIMIT: u64 = 100;

/// Which page to read: entries with an id above `after`, at most `limit` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub after: i64,
    pub limit: u64,
}

impl PageRequest {
    /// Parses the `limit` and `cursor` query parameters. The cursor is opaque to clients: it is
    /// the `next_cursor` of the previous page.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, FieldError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => match whole_number(raw) {
                Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(FieldError::new(
                        "limit",
                        msg!("limit_range", max = MAX_LIMIT, value = raw),
                    ));
                }
            },
        };
        let after = match cursor {
            None => 0,
            Some(raw) => raw
                .strip_prefix("id:")
                .and_then(whole_number)
                .and_then(|id| i64::try_from(id).ok())
                .ok_or_else(|| FieldError::new("cursor", msg!("bad_cursor", value = raw)))?,
        };
        Ok(Self { after, limit })
    }
}

/// Reads one page of `select` in the order of its id column `id` (rows after `page.after`);
/// returns the rows and the cursor of the next page, if there is one.
pub async fn keyset_page<E: EntityTrait>(
    db: &DatabaseConnection,
    select: Select<E>,
    id: E::Column,
    id_of: impl Fn(&E::Model) -> i64,
    page: PageRequest,
) -> Result<(Vec<E::Model>, Option<String>), DbErr> {
    let mut items = select
        .filter(id.gt(page.after))
        .order_by_asc(id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let next_cursor = if items.len() as u64 > page.limit {
        items.truncate(page.limit as usize);
        items.last().map(|last| cursor_after(id_of(last)))
    } else {
        None
    };
    Ok((items, next_cursor))
}

/// The cursor that continues after the entry with id `last_id`.
pub fn cursor_after(last_id: i64) -> String {
    format!("id:{last_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_first_page() {
        assert_eq!(
            PageRequest::parse(None, None),
            Ok(PageRequest {
                after: 0,
                limit: DEFAULT_LIMIT
            })
        );
    }

    #[test]
    fn cursors_round_trip() {
        let page = PageRequest::parse(Some("5"), Some(&cursor_after(42))).unwrap();
        assert_eq!(
            page,
            PageRequest {
                after: 42,
                limit: 5
            }
        );
    }

    #[test]
    fn limits_outside_1_to_1000_are_refused() {
        for raw in ["0", "1001", "-1", "ten", ""] {
            assert_eq!(
                PageRequest::parse(Some(raw), None).unwrap_err().field,
                "limit"
            );
        }
        assert!(PageRequest::parse(Some("1000"), None).is_ok());
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for raw in ["42", "id:", "id:x", "id:-3"] {
            assert_eq!(
                PageRequest::parse(None, Some(raw)).unwrap_err().field,
                "cursor"
            );
        }
    }
}
