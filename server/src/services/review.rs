//! The review workflow: approve, reject and reopen, each an explicit transition with its
//! revision (retiring is `versioned_change::retire`).
//!
//! | transition | from | to |
//! |---|---|---|
//! | approve | draft, rejected | approved — refused with error lints, and (four eyes) by whoever created or last edited the entry |
//! | reject (with a reason) | draft, approved | rejected |
//! | reopen | rejected, retired | draft |
//!
//! Content edits of approved or rejected entries send them back to draft
//! (`versioned_change::back_to_review`).

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::revisions::ChangeContext;
use super::versioned_change::{self, ExpectedVersion, VersionedEntity, VersionedModel};
use super::{Checks, ServiceError};
use crate::domain::revision::{EntryKind, RevisionAction};
use crate::domain::status::EntryStatus;
use crate::lint;
use crate::store::entities::{keyword, question, revision};

/// A review decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Approve,
    Reject,
    Reopen,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Reopen => "reopen",
        }
    }

    fn from(self) -> &'static [EntryStatus] {
        match self {
            Self::Approve => &[EntryStatus::Draft, EntryStatus::Rejected],
            Self::Reject => &[EntryStatus::Draft, EntryStatus::Approved],
            Self::Reopen => &[EntryStatus::Rejected, EntryStatus::Retired],
        }
    }

    fn to(self) -> EntryStatus {
        match self {
            Self::Approve => EntryStatus::Approved,
            Self::Reject => EntryStatus::Rejected,
            Self::Reopen => EntryStatus::Draft,
        }
    }
}

/// An entry kind whose error lints can be computed from a stored row.
pub trait Reviewable: VersionedEntity {
    fn error_lints(model: &Self::Model, checks: Checks<'_>) -> Vec<&'static str>;
}

impl Reviewable for keyword::Entity {
    fn error_lints(model: &keyword::Model, checks: Checks<'_>) -> Vec<&'static str> {
        lint::errors(&lint::keyword(
            checks.lints,
            &checks.dedup.profile,
            &model.term,
            model.kind,
        ))
    }
}

impl Reviewable for question::Entity {
    fn error_lints(model: &question::Model, checks: Checks<'_>) -> Vec<&'static str> {
        lint::errors(&lint::question(
            checks.lints,
            &checks.dedup.profile,
            super::questions::facts(model),
        ))
    }
}

/// Who wrote the entry's current content: the actor of its last `created` or `updated`
/// revision.
pub async fn last_editor<C: ConnectionTrait>(
    db: &C,
    kind: EntryKind,
    id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(revision::Entity::find()
        .filter(revision::Column::EntryKind.eq(kind))
        .filter(revision::Column::EntryId.eq(id))
        .filter(revision::Column::Action.is_in([RevisionAction::Created, RevisionAction::Updated]))
        .order_by_desc(revision::Column::Number)
        .one(db)
        .await?
        .map(|revision| revision.actor))
}

/// Applies `transition` to entry `id` if its version matches; `four_eyes` refuses an approval
/// by the entry's creator or last editor.
pub async fn decide<E: Reviewable>(
    db: &DatabaseConnection,
    checks: Checks<'_>,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    transition: Transition,
    four_eyes: bool,
) -> Result<E::Model, ServiceError> {
    let txn = versioned_change::begin_write(db, E::KIND).await?;
    let editor = last_editor(&txn, E::KIND, id).await?;
    let actor = context.actor.as_str();
    let decided =
        versioned_change::transition::<E>(&txn, id, expected_version, context, |current| {
            let status = current.status();
            if !transition.from().contains(&status) {
                return Err(ServiceError::InvalidTransition {
                    transition: transition.as_str(),
                    status,
                });
            }
            if transition == Transition::Approve {
                if four_eyes && (current.created_by() == actor || editor.as_deref() == Some(actor))
                {
                    return Err(ServiceError::FourEyes {
                        actor: actor.to_owned(),
                    });
                }
                let errors = E::error_lints(current, checks);
                if !errors.is_empty() {
                    return Err(ServiceError::LintFailed { rules: errors });
                }
            }
            let mut next = current.clone();
            next.set_status(transition.to());
            Ok(next)
        })
        .await?;
    txn.commit().await?;
    Ok(decided)
}
