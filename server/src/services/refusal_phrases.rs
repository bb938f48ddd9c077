//! The refusal phrases as data: a new list is proposed as a draft version (the whole TOML
//! file, checked as the seed is), reviewed like an entry — approved by someone other than its
//! author while four eyes is on, or rejected with a reason — and the approved one is in
//! force, in this process at once and in every replica within
//! [`super::leases::HEARTBEAT_INTERVAL`]. Versions are never changed but for their status; the
//! one an approval replaces is retired, so the list's history stays readable. Before any
//! approval the seed is in force (`<data dir>/refusal-phrases.toml`, else the shipped file),
//! as version 0.
//!
//! Verdicts already stored keep the phrases they were made with; the list in force decides
//! what is recorded next.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, SqlErr, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::AuditStamp;
use super::periodic::{self, Periodic};
use super::{AppState, ServiceError, leases};
use crate::domain::field_error::FieldError;
use crate::domain::status::EntryStatus;
use crate::domain::text::Reason;
use crate::fold::FoldProfile;
use crate::messages::msg;
use crate::refusal::{PhrasesError, RefusalDetector};
use crate::store::entities::refusal_phrase_version as version;

/// The phrases in force in this process, swapped whole when another version is approved;
/// the seed is kept to fall back to when the store holds no approved version any more.
pub struct PhrasesInForce {
    current: RwLock<Arc<InForce>>,
    seed: Arc<InForce>,
}

/// One list in force: its version (0: the seed), text and compiled detector.
pub struct InForce {
    pub version: i64,
    pub origin: String,
    pub text: String,
    pub detector: Arc<RefusalDetector>,
}

impl PhrasesInForce {
    pub fn new((in_force, seed): (InForce, InForce)) -> Self {
        let seed = Arc::new(seed);
        let current = if in_force.version == 0 {
            seed.clone()
        } else {
            Arc::new(in_force)
        };
        Self {
            current: RwLock::new(current),
            seed,
        }
    }

    /// The list in force now.
    pub fn current(&self) -> Arc<InForce> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The detector in force now.
    pub fn detector(&self) -> Arc<RefusalDetector> {
        self.current().detector.clone()
    }

    fn replace(&self, in_force: Arc<InForce>) {
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = in_force;
    }

    /// Replaces the list in force with `in_force` if version `seen` is still in force: a
    /// refresh that read the store before an approval in this process must not undo it.
    fn replace_if(&self, seen: i64, in_force: Arc<InForce>) {
        let mut current = self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.version == seen {
            *current = in_force;
        }
    }
}

/// The list in force in the store — the approved version, else the seed of `data_dir` — and
/// the seed. An approved version that no longer compiles (the fold profile changed) is logged
/// and the seed used, so the server starts and a new version can be approved.
pub async fn in_force(
    db: &impl ConnectionTrait,
    data_dir: &std::path::Path,
    profile: &FoldProfile,
) -> Result<(InForce, InForce), PhrasesLoadError> {
    let seed = RefusalDetector::seed(data_dir)?;
    let detector = RefusalDetector::parse(&seed.origin, &seed.text, profile)?;
    let seed = InForce {
        version: 0,
        origin: seed.origin,
        text: seed.text.into_owned(),
        detector: Arc::new(detector),
    };
    let approved = match approved(db).await? {
        Some(row) => match compiled(row.id, &row.text, profile) {
            Ok(compiled) => compiled,
            Err(error) => {
                tracing::error!(%error, "the approved refusal phrases do not compile; the seed is in force until another version is approved");
                compiled_seed(&seed)
            }
        },
        None => compiled_seed(&seed),
    };
    Ok((approved, seed))
}

/// A copy of the seed's entry (version 0), for [`PhrasesInForce::new`] to share.
fn compiled_seed(seed: &InForce) -> InForce {
    InForce {
        version: 0,
        origin: seed.origin.clone(),
        text: seed.text.clone(),
        detector: seed.detector.clone(),
    }
}

/// Why the phrases in force cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PhrasesLoadError {
    #[error(transparent)]
    Phrases(#[from] PhrasesError),
    #[error(transparent)]
    Database(#[from] DbErr),
}

fn origin_of(id: i64) -> String {
    format!("refusal phrase version {id}")
}

fn compiled(id: i64, text: &str, profile: &FoldProfile) -> Result<InForce, PhrasesError> {
    let origin = origin_of(id);
    let detector = RefusalDetector::parse(&origin, text, profile)?;
    Ok(InForce {
        version: id,
        origin,
        text: text.to_owned(),
        detector: Arc::new(detector),
    })
}

async fn approved(db: &impl ConnectionTrait) -> Result<Option<version::Model>, DbErr> {
    version::Entity::find()
        .filter(version::Column::Status.eq(EntryStatus::Approved.as_str()))
        .order_by_desc(version::Column::Id)
        .one(db)
        .await
}

/// Stores `text` as a draft version, once it compiles as a phrase file does.
pub async fn propose(
    state: &AppState,
    text: String,
    audit: &AuditStamp,
) -> Result<version::Model, ServiceError> {
    RefusalDetector::parse("the proposed phrases", &text, &state.dedup.profile).map_err(|e| {
        FieldError::unprocessable("text", msg!("phrases_invalid", detail = e.to_string()))
    })?;
    let txn = state.db.begin().await?;
    let row = version::ActiveModel {
        text: Set(text),
        status: Set(EntryStatus::Draft.as_str().to_owned()),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        decided_by: Set(None),
        decided_at: Set(None),
        reason: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    super::audit::commit(txn, Some(audit), Some(row.id)).await?;
    Ok(row)
}

/// A review decision on a draft version.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Puts it in force, retiring the version it replaces.
    Approve,
    Reject(Reason),
}

/// Decides on draft version `id`; an approved version is in force in this process on return.
pub async fn decide(
    state: &AppState,
    id: i64,
    decision: Decision,
    audit: &AuditStamp,
) -> Result<version::Model, ServiceError> {
    let txn = state.db.begin().await?;
    let row = version::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::PhraseVersionNotFound(id))?;
    let (transition, status) = match &decision {
        Decision::Approve => ("approve", EntryStatus::Approved),
        Decision::Reject(_) => ("reject", EntryStatus::Rejected),
    };
    if row.status != EntryStatus::Draft.as_str() {
        let current = EntryStatus::parse(&row.status)
            .map_err(|_| DbErr::Custom(format!("version {id}: status {} unknown", row.status)))?;
        return Err(ServiceError::InvalidTransition {
            transition,
            status: current,
        });
    }
    if state.four_eyes && matches!(decision, Decision::Approve) && row.created_by == audit.actor {
        return Err(ServiceError::FourEyes {
            actor: audit.actor.clone(),
        });
    }
    let compiled = match decision {
        Decision::Approve => {
            // Checked again: the fold profile may have changed since it was proposed.
            let compiled = compiled(id, &row.text, &state.dedup.profile).map_err(|e| {
                FieldError::unprocessable("text", msg!("phrases_invalid", detail = e.to_string()))
            })?;
            version::Entity::update_many()
                .col_expr(
                    version::Column::Status,
                    EntryStatus::Retired.as_str().into(),
                )
                .filter(version::Column::Status.eq(EntryStatus::Approved.as_str()))
                .exec(&txn)
                .await?;
            Some(compiled)
        }
        Decision::Reject(_) => None,
    };
    let reason = match decision {
        Decision::Reject(reason) => Some(reason.into_inner()),
        Decision::Approve => None,
    };
    // Still a draft, checked in the statement that decides: of two decisions racing on it,
    // one finds it decided. Of two approvals of different drafts, the unique index on the
    // approved version refuses the second.
    let decided = version::Entity::update_many()
        .col_expr(version::Column::Status, status.as_str().into())
        .col_expr(version::Column::DecidedBy, Some(audit.actor.clone()).into())
        .col_expr(version::Column::DecidedAt, Some(Utc::now()).into())
        .col_expr(version::Column::Reason, reason.into())
        .filter(version::Column::Id.eq(id))
        .filter(version::Column::Status.eq(EntryStatus::Draft.as_str()))
        .exec(&txn)
        .await;
    match decided {
        Ok(result) if result.rows_affected == 1 => {}
        Ok(_) => return Err(ServiceError::PhrasesRaced(id)),
        Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(ServiceError::PhrasesRaced(id));
        }
        Err(error) => return Err(error.into()),
    }
    let decided = version::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::PhraseVersionNotFound(id))?;
    super::audit::commit(txn, Some(audit), None).await?;
    if let Some(compiled) = compiled {
        state.refusals.replace(Arc::new(compiled));
    }
    Ok(decided)
}

/// Every version, newest first.
pub async fn versions(db: &DatabaseConnection) -> Result<Vec<version::Model>, ServiceError> {
    Ok(version::Entity::find()
        .order_by_desc(version::Column::Id)
        .all(db)
        .await?)
}

/// Version `id`.
pub async fn get(db: &DatabaseConnection, id: i64) -> Result<version::Model, ServiceError> {
    version::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::PhraseVersionNotFound(id))
}

/// Puts the store's approved version in force in this process when another replica approved
/// it (or the seed, when none is approved any more), every [`leases::HEARTBEAT_INTERVAL`]
/// until stopped.
pub fn keep_current(state: AppState) -> Periodic {
    periodic::every(
        "refusal phrases",
        leases::HEARTBEAT_INTERVAL,
        (),
        move |()| {
            let state = state.clone();
            async move {
                let seen = state.refusals.current().version;
                let latest = match approved(&state.reads).await {
                    Ok(latest) => latest,
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the refusal phrases in force; retrying");
                        return;
                    }
                };
                let wanted = match latest {
                    Some(row) if row.id == seen => return,
                    Some(row) => match compiled(row.id, &row.text, &state.dedup.profile) {
                        Ok(compiled) => Arc::new(compiled),
                        Err(error) => {
                            tracing::error!(%error, "approved refusal phrases do not compile");
                            return;
                        }
                    },
                    None if seen == 0 => return,
                    None => state.refusals.seed.clone(),
                };
                state.refusals.replace_if(seen, wanted);
            }
        },
    )
}

/// A version as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhraseVersion {
    pub id: i64,
    /// The whole phrase file (TOML), as `seeds/refusal-phrases.toml` writes it.
    pub text: String,
    /// `draft`, `approved` (in force), `rejected`, or `retired` (replaced by a later approval).
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl From<version::Model> for PhraseVersion {
    fn from(row: version::Model) -> Self {
        Self {
            id: row.id,
            text: row.text,
            status: row.status,
            created_by: row.created_by,
            created_at: row.created_at,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            reason: row.reason,
        }
    }
}
