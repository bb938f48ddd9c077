//! The review workflow: approve, reject and reopen, each an explicit transition with its
//! revision (retiring is `versioned_change::retire`).
//!
//! | transition | from | to |
//! |---|---|---|
//! | approve | draft, rejected | approved — refused with error lints, and (four eyes) by its creator and by anyone who edited it since its last approval |
//! | reject (with a reason) | draft, approved | rejected |
//! | reopen | rejected, retired | draft |
//!
//! Content edits of approved or rejected entries send them back to draft
//! (`versioned_change::back_to_review`).

use sea_orm::DatabaseConnection;

use super::lints::Linted;
use super::revisions::{self, ChangeContext};
use super::versioned_change::{self, ExpectedVersion, VersionedEntity, VersionedModel};
use super::{Checks, ServiceError};
use crate::domain::revision::RevisionAction;
use crate::domain::status::EntryStatus;
use crate::store::entities::revision;

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

/// An entry kind that can be reviewed: its rows know their lints.
pub trait Reviewable: VersionedEntity<Model: Linted> {}

impl<E: VersionedEntity<Model: Linted>> Reviewable for E {}

/// Who wrote content of the entry that no approval has covered yet, read from its revisions
/// (oldest first): the actors of its `created` and `updated` revisions since it was last
/// approved (all of them if never). The last editor is among them, and so is anyone who edited
/// before a trivial later edit. Under four-eyes none of them may approve it. Actors are users
/// (every token of a user acts as that user), so a second token is no second pair of eyes.
pub fn unreviewed_authors(revisions: &[revision::Model]) -> Vec<String> {
    let mut authors: Vec<String> = Vec::new();
    for revision in revisions {
        let approved = serde_json::from_str::<serde_json::Value>(&revision.snapshot)
            .is_ok_and(|snapshot| snapshot["status"] == EntryStatus::Approved.as_str());
        if approved {
            authors.clear();
        } else if matches!(
            revision.action,
            RevisionAction::Created | RevisionAction::Updated
        ) && !authors.contains(&revision.actor)
        {
            authors.push(revision.actor.clone());
        }
    }
    authors
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
    let authors = unreviewed_authors(&revisions::list(&txn, E::KIND, id).await?);
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
                let wrote_it = current.created_by() == actor || authors.iter().any(|a| a == actor);
                if four_eyes && wrote_it {
                    return Err(ServiceError::FourEyes {
                        actor: actor.to_owned(),
                    });
                }
                super::lints::error_count(&current.lints(checks), EntryStatus::Approved)?;
            }
            let mut next = current.clone();
            next.set_status(transition.to());
            Ok(next)
        })
        .await?;
    super::audit::commit(txn, context.audit.as_ref(), None).await?;
    Ok(decided)
}
