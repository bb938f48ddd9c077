//! How the domain's closed sets (statuses, kinds, roles, revision actions) are stored: as
//! their snake_case names in `VARCHAR(16)` columns.
//!
//! The domain types know nothing of sea-orm; this module gives each the four traits an entity
//! field needs (`ValueType`, `Nullable`, `TryGetable`, `Into<Value>`), reading through the
//! type's own `as_str` and `ALL`, so a stored name and an API name can never drift apart. A
//! value in the database that names no variant is a `DbErr::Type`, not a panic.

use sea_orm::sea_query::{
    ArrayType, ColumnType, Nullable, StringLen, Value, ValueType, ValueTypeErr,
};
use sea_orm::{ColIdx, DbErr, QueryResult, TryFromU64, TryGetError, TryGetable};

use crate::domain::revision::{EntryKind, RevisionAction};
use crate::domain::role::Role;
use crate::domain::status::{EntryStatus, ExpectedBehavior, KeywordKind, QuestionKind};

/// Implements the column traits for a domain enum with `ALL` and `as_str`.
macro_rules! name_column {
    ($($type:ident),* $(,)?) => {$(
        impl $type {
            fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == name)
            }
        }

        impl From<$type> for Value {
            fn from(value: $type) -> Self {
                Value::String(Some(value.as_str().to_owned()))
            }
        }

        impl ValueType for $type {
            fn try_from(value: Value) -> Result<Self, ValueTypeErr> {
                match value {
                    Value::String(Some(name)) => $type::from_name(&name).ok_or(ValueTypeErr),
                    _ => Err(ValueTypeErr),
                }
            }

            fn type_name() -> String {
                stringify!($type).to_owned()
            }

            fn array_type() -> ArrayType {
                ArrayType::String
            }

            fn column_type() -> ColumnType {
                ColumnType::String(StringLen::N(16))
            }
        }

        // Needed by sea-orm for any primary-key type; a name is never a number.
        impl TryFromU64 for $type {
            fn try_from_u64(_: u64) -> Result<Self, DbErr> {
                Err(DbErr::ConvertFromU64(stringify!($type)))
            }
        }

        impl Nullable for $type {
            fn null() -> Value {
                Value::String(None)
            }
        }

        impl TryGetable for $type {
            fn try_get_by<I: ColIdx>(result: &QueryResult, index: I) -> Result<Self, TryGetError> {
                let name = String::try_get_by(result, index)?;
                $type::from_name(&name).ok_or_else(|| {
                    TryGetError::DbErr(DbErr::Type(format!(
                        "`{name}` is not a {}",
                        stringify!($type)
                    )))
                })
            }
        }
    )*};
}

name_column!(
    EntryStatus,
    QuestionKind,
    KeywordKind,
    ExpectedBehavior,
    Role,
    EntryKind,
    RevisionAction
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_variant() {
        for status in EntryStatus::ALL {
            assert_eq!(
                <EntryStatus as ValueType>::try_from(status.into()).ok(),
                Some(status)
            );
        }
        for action in RevisionAction::ALL {
            assert_eq!(
                <RevisionAction as ValueType>::try_from(action.into()).ok(),
                Some(action)
            );
        }
        assert!(<Role as ValueType>::try_from(Value::String(Some("root".into()))).is_err());
    }
}
