//! The JSON shape of a revision, shared by keywords and questions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::domain::revision::RevisionAction;
use crate::services::review;
use crate::store::entities::revision;

/// One recorded change of an entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Revision)]
pub struct RevisionView {
    /// Equals the entry's `version` after this change.
    pub number: i32,
    pub action: RevisionAction,
    pub actor: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The entry as `GET` returned it right after this change.
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
}

/// The revisions of one entry, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RevisionList)]
pub struct RevisionList {
    pub items: Vec<RevisionView>,
    /// Who wrote content that no approval has covered yet; with `four_eyes` on none of them
    /// may approve the entry.
    pub unreviewed_authors: Vec<String>,
}

impl RevisionList {
    pub fn from_models(models: Vec<revision::Model>) -> Result<Self, ApiError> {
        let unreviewed_authors = review::unreviewed_authors(&models);
        let items = models
            .into_iter()
            .map(|model| {
                let snapshot = serde_json::from_str(&model.snapshot).map_err(|e| {
                    ApiError::from(sea_orm::DbErr::Custom(format!(
                        "revision {} has an unreadable snapshot: {e}",
                        model.id
                    )))
                })?;
                Ok(RevisionView {
                    number: model.number,
                    action: model.action,
                    actor: model.actor,
                    reason: model.reason,
                    created_at: model.created_at,
                    snapshot,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Self {
            items,
            unreviewed_authors,
        })
    }
}

/// The body of a review decision (`/approve`, `/reject`, `/reopen`, `/retire`): why. Optional
/// except for `/reject`.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why; kept in the revision.
    pub reason: Option<String>,
}
