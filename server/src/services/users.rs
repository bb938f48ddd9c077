//! Users: the people and services tokens belong to. A user's name is unique and is the actor
//! of every change made with any of the user's tokens (revisions, `created_by`, the audit
//! log), so four eyes compares people. Users are created by admins (`POST /v1/users`,
//! `lexset user create`) and never deleted: revoking a user's tokens stops them.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};

use super::ServiceError;
use super::audit::AuditStamp;
use crate::domain::user::UserName;
use crate::store::entities::user::{self, Model};

/// Stores user `name`, asked for as `audit` says, with its audit row; refuses a name a user
/// already has ([`ServiceError::DuplicateUser`]). One insert: the unique name decides between
/// concurrent requests.
pub async fn create(
    db: &DatabaseConnection,
    name: UserName,
    audit: &AuditStamp,
) -> Result<Model, ServiceError> {
    let txn = db.begin().await?;
    let inserted = user::ActiveModel {
        name: Set(name.as_str().to_owned()),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let user = match inserted {
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(ServiceError::DuplicateUser {
                name: name.into_inner(),
            });
        }
        other => other?,
    };
    super::audit::commit(txn, Some(audit), Some(user.id)).await?;
    Ok(user)
}

/// User `name`, created by `created_by` unless there is one already; says whether it was
/// created. Writes first, so on SQLite the transaction it runs in holds the write lock from
/// its first statement.
pub(super) async fn find_or_create<C: ConnectionTrait>(
    db: &C,
    name: &UserName,
    created_by: &str,
) -> Result<(Model, bool), DbErr> {
    let new = user::ActiveModel {
        name: Set(name.as_str().to_owned()),
        created_by: Set(created_by.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let inserted = user::Entity::insert(new)
        .on_conflict(
            OnConflict::column(user::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let user = find(db, name)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user `{}`", name.as_str())))?;
    Ok((user, inserted > 0))
}

/// The user named `name`, if there is one.
pub async fn find<C: ConnectionTrait>(db: &C, name: &UserName) -> Result<Option<Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Name.eq(name.as_str()))
        .one(db)
        .await
}

/// User `id`, if there is one.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// The newest `limit` users, newest first.
pub async fn list<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<Model>, DbErr> {
    user::Entity::find()
        .order_by_desc(user::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
