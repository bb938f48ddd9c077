//! API tokens: created with a random secret shown once, stored as its SHA-256, listed without
//! secrets, revoked, and checked on every request.

use chrono::{DateTime, Utc};
use lexset_filter::checksum::sha256_hex;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::role::Role;
use crate::domain::text::TokenName;
use crate::store::entities::api_token::{self, Model};

/// Prefix of every secret, so a leaked one is recognisable (e.g. by secret scanners).
pub const SECRET_PREFIX: &str = "lexset_";

/// Who a request acts as: a valid token's name and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
}

/// The actor of command-line writes; no token may take its name, so the audit log and the
/// revisions stay unambiguous.
pub const CLI_ACTOR: &str = "cli";

/// `name` parsed as a token's name: not the reserved [`CLI_ACTOR`].
pub fn token_name(name: &str) -> Result<TokenName, crate::domain::field_error::FieldError> {
    let name = TokenName::parse(name)?;
    if name.as_str() == CLI_ACTOR {
        return Err(crate::domain::field_error::FieldError::unprocessable(
            "name",
            crate::messages::msg!("reserved_name", name = CLI_ACTOR),
        ));
    }
    Ok(name)
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: TokenName,
    pub role: Role,
    /// `None`: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why a presented secret does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Unknown,
    Revoked,
    Expired,
}

/// 32 random bytes from the operating system, hex-encoded behind [`SECRET_PREFIX`].
fn new_secret() -> Result<String, DbErr> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| DbErr::Custom(format!("no randomness for a token secret: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{SECRET_PREFIX}{hex}"))
}

/// Stores a new token; returns it and its secret, which is not kept anywhere.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    new: NewToken,
    created_by: &str,
) -> Result<(Model, String), DbErr> {
    let secret = new_secret()?;
    let token = api_token::ActiveModel {
        name: Set(new.name.into_inner()),
        role: Set(new.role),
        secret_hash: Set(sha256_hex(secret.as_bytes())),
        created_by: Set(created_by.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, secret))
}

/// The newest `limit` tokens, newest first.
pub async fn list<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<Model>, DbErr> {
    api_token::Entity::find()
        .order_by_desc(api_token::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Token `id`, if there is one.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    api_token::Entity::find_by_id(id).one(db).await
}

/// Revokes token `id` (again: no change); `None` when there is no such token.
pub async fn revoke<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<Model>, DbErr> {
    let Some(token) = get(db, id).await? else {
        return Ok(None);
    };
    if token.revoked_at.is_some() {
        return Ok(Some(token));
    }
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(Some(active.update(db).await?))
}

/// The principal of `secret`, or why it is refused. One indexed lookup by the secret's hash.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    secret: &str,
) -> Result<Result<Principal, Rejection>, DbErr> {
    let hash = sha256_hex(secret.as_bytes());
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(hash))
        .one(db)
        .await?
    else {
        return Ok(Err(Rejection::Unknown));
    };
    if token.revoked_at.is_some() {
        return Ok(Err(Rejection::Revoked));
    }
    if token.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Ok(Err(Rejection::Expired));
    }
    Ok(Ok(Principal {
        token_id: token.id,
        name: token.name,
        role: token.role,
    }))
}
