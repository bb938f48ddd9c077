//! API tokens: each belongs to a user, is created with a random secret shown once, stored as
//! its SHA-256, listed without secrets, revoked, and checked on every request. A request acts
//! as the token's user: two tokens of one person are one actor.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lexset_filter::checksum::sha256_hex;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait,
};

use super::audit::AuditStamp;
use super::{ServiceError, users};
use crate::domain::field_error::FieldError;
use crate::domain::role::Role;
use crate::domain::text::TokenName;
use crate::domain::user::UserName;
use crate::messages::msg;
use crate::store::entities::api_token::{self, Model};
use crate::store::entities::user;

/// Prefix of every secret, so a leaked one is recognisable (e.g. by secret scanners).
pub const SECRET_PREFIX: &str = "lexset_";

/// Who a request acts as: the user of a valid token, and the token's role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    /// The token's user: the actor of revisions, `created_by` and the audit log.
    pub name: String,
    pub role: Role,
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The user it belongs to.
    pub user: UserName,
    /// Its label; `None`: the user's name.
    pub name: Option<TokenName>,
    pub role: Role,
    /// `None`: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What [`create`] does when the token's user does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownUser {
    /// Refuse: `422 invalid_user` (the API: users are created on purpose).
    Refuse,
    /// Create the user too (the command line, where the first admin starts from nothing).
    Create,
}

/// A token with the user it belongs to.
#[derive(Debug, Clone)]
pub struct UserToken {
    pub token: Model,
    pub user: user::Model,
}

/// A created token, its secret (kept nowhere; so no `Debug`, which could log it) and whether
/// its user was created with it.
pub struct Created {
    pub token: UserToken,
    pub secret: String,
    pub user_created: bool,
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

/// Stores a new token for `new.user`, made by `created_by`, in one transaction with the
/// `audit` row of the request; what happens when there is no such user is `unknown_user`'s to
/// say.
pub async fn create(
    db: &DatabaseConnection,
    new: NewToken,
    (created_by, audit): (&str, Option<&AuditStamp>),
    unknown_user: UnknownUser,
) -> Result<Created, ServiceError> {
    let secret = new_secret()?;
    let txn = db.begin().await?;
    let (user, user_created) = match unknown_user {
        UnknownUser::Create => users::find_or_create(&txn, &new.user, created_by).await?,
        UnknownUser::Refuse => {
            let user = users::find(&txn, &new.user).await?.ok_or_else(|| {
                FieldError::unprocessable("user", msg!("unknown_user", name = new.user.as_str()))
            })?;
            (user, false)
        }
    };
    let name = new
        .name
        .map_or_else(|| user.name.clone(), TokenName::into_inner);
    let token = api_token::ActiveModel {
        name: Set(name),
        user_id: Set(user.id),
        role: Set(new.role),
        secret_hash: Set(sha256_hex(secret.as_bytes())),
        created_by: Set(created_by.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(audit) = audit.filter(|_| user_created) {
        audit
            .record_on(&txn, &format!("/v1/users/{}", user.id))
            .await?;
    }
    super::audit::commit(txn, audit, Some(token.id)).await?;
    Ok(Created {
        token: UserToken { token, user },
        secret,
        user_created,
    })
}

/// Tokens paired with their users; every token has its user (a non-null foreign key).
fn paired(rows: Vec<(Model, Option<user::Model>)>) -> Result<Vec<UserToken>, DbErr> {
    rows.into_iter()
        .map(|(token, user)| {
            let user = user
                .ok_or_else(|| DbErr::RecordNotFound(format!("the user of token {}", token.id)))?;
            Ok(UserToken { token, user })
        })
        .collect()
}

/// The newest `limit` tokens, newest first.
pub async fn list<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<UserToken>, DbErr> {
    paired(
        api_token::Entity::find()
            .find_also_related(user::Entity)
            .order_by_desc(api_token::Column::Id)
            .limit(limit)
            .all(db)
            .await?,
    )
}

/// The one token `select` finds, if any.
async fn one<C: ConnectionTrait>(
    db: &C,
    select: Select<api_token::Entity>,
) -> Result<Option<UserToken>, DbErr> {
    let row = select.find_also_related(user::Entity).one(db).await?;
    Ok(paired(row.into_iter().collect())?.pop())
}

/// Token `id`, if there is one.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<UserToken>, DbErr> {
    one(db, api_token::Entity::find_by_id(id)).await
}

/// Revokes token `id` (again: no change), with the request's `audit` row, and forgets it in
/// this process's `cache`; `None` when there is no such token.
pub async fn revoke(
    db: &DatabaseConnection,
    cache: &TokenCache,
    id: i64,
    audit: Option<&AuditStamp>,
) -> Result<Option<UserToken>, DbErr> {
    let txn = db.begin().await?;
    let Some(UserToken { token, user }) = get(&txn, id).await? else {
        return Ok(None);
    };
    let token = if token.revoked_at.is_some() {
        token
    } else {
        let mut active: api_token::ActiveModel = token.into();
        active.revoked_at = Set(Some(Utc::now()));
        active.update(&txn).await?
    };
    super::audit::commit(txn, audit, None).await?;
    cache.forget(id);
    Ok(Some(UserToken { token, user }))
}

/// How long a token found valid is taken on trust before the store is asked again. A token
/// revoked through this process is forgotten at once ([`revoke`]); a revocation made elsewhere
/// (another replica, the store itself) takes effect within this long. Expiry is checked on
/// every request.
pub const TRUSTED_FOR: Duration = Duration::from_secs(2);

/// At most this many tokens are remembered; past it the cache starts again empty.
const MAX_REMEMBERED: usize = 10_000;

/// Tokens this process found valid in the last [`TRUSTED_FOR`], by secret hash, so requests
/// with one of them touch the store about once per [`TRUSTED_FOR`]: on SQLite the lookup was
/// about half of a `match` request's CPU. Only valid tokens are kept, so a new token works at
/// once and a refused one is asked about every time.
#[derive(Debug, Default)]
pub struct TokenCache {
    state: Mutex<Remembrance>,
}

#[derive(Debug, Default)]
struct Remembrance {
    valid: HashMap<String, Remembered>,
    /// Counts [`TokenCache::forget`]s: a lookup that began before one may have read the token
    /// before its revocation committed, so what it found is not remembered.
    forgets: u64,
}

#[derive(Debug, Clone)]
struct Remembered {
    principal: Principal,
    expires_at: Option<DateTime<Utc>>,
    /// When the lookup that found it valid began.
    checked: Instant,
}

impl TokenCache {
    fn state(&self) -> std::sync::MutexGuard<'_, Remembrance> {
        // The map is consistent after any panic (inserts and removals are single calls).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The principal of the token with secret hash `hash`, if it was found valid by a lookup
    /// begun less than [`TRUSTED_FOR`] ago and has not expired since.
    fn recall(&self, hash: &str) -> Option<Principal> {
        self.state()
            .valid
            .get(hash)
            .filter(|token| token.checked.elapsed() < TRUSTED_FOR)
            .filter(|token| token.expires_at.is_none_or(|at| at > Utc::now()))
            .map(|token| token.principal.clone())
    }

    /// How many forgets there have been: taken before a lookup, handed to [`Self::remember`].
    fn forgets(&self) -> u64 {
        self.state().forgets
    }

    /// Remembers `token`, unless a token was forgotten since its lookup began (`forgets_before`).
    fn remember(&self, hash: String, token: Remembered, forgets_before: u64) {
        let mut state = self.state();
        if state.forgets != forgets_before {
            return;
        }
        if state.valid.len() >= MAX_REMEMBERED {
            state.valid.clear();
        }
        state.valid.insert(hash, token);
    }

    /// Forgets token `id`: its next request asks the store, and a lookup of it still running
    /// is not remembered.
    pub fn forget(&self, id: i64) {
        let mut state = self.state();
        state
            .valid
            .retain(|_, token| token.principal.token_id != id);
        state.forgets += 1;
    }
}

/// The principal of `secret`, or why it is refused: from `cache` when it vouches for the
/// token, otherwise one indexed lookup by the secret's hash, joined to the token's user.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    cache: &TokenCache,
    secret: &str,
) -> Result<Result<Principal, Rejection>, DbErr> {
    let hash = sha256_hex(secret.as_bytes());
    if let Some(principal) = cache.recall(&hash) {
        return Ok(Ok(principal));
    }
    let (checked, forgets_before) = (Instant::now(), cache.forgets());
    let found = one(
        db,
        api_token::Entity::find().filter(api_token::Column::SecretHash.eq(hash.as_str())),
    )
    .await?;
    let Some(UserToken { token, user }) = found else {
        return Ok(Err(Rejection::Unknown));
    };
    if token.revoked_at.is_some() {
        return Ok(Err(Rejection::Revoked));
    }
    if token.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Ok(Err(Rejection::Expired));
    }
    let principal = Principal {
        token_id: token.id,
        name: user.name,
        role: token.role,
    };
    let remembered = Remembered {
        principal: principal.clone(),
        expires_at: token.expires_at,
        checked,
    };
    cache.remember(hash, remembered, forgets_before);
    Ok(Ok(principal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found_valid(token_id: i64) -> Remembered {
        Remembered {
            principal: Principal {
                token_id,
                name: "张三".to_owned(),
                role: Role::Reader,
            },
            expires_at: None,
            checked: Instant::now(),
        }
    }

    #[test]
    fn a_lookup_begun_before_a_revocation_is_not_remembered() {
        let cache = TokenCache::default();
        let before = cache.forgets();
        // The token is revoked (and forgotten) while the lookup that found it valid runs.
        cache.forget(7);
        cache.remember("hash".to_owned(), found_valid(7), before);
        assert_eq!(cache.recall("hash"), None);
        cache.remember("hash".to_owned(), found_valid(7), cache.forgets());
        assert_eq!(cache.recall("hash").map(|p| p.token_id), Some(7));
        cache.forget(7);
        assert_eq!(cache.recall("hash"), None);
    }

    #[test]
    fn an_expired_token_is_not_recalled() {
        let cache = TokenCache::default();
        let mut token = found_valid(1);
        token.expires_at = Some(Utc::now() - chrono::Duration::seconds(1));
        cache.remember("hash".to_owned(), token, cache.forgets());
        assert_eq!(cache.recall("hash"), None);
    }
}
