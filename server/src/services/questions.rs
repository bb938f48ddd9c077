//! Test-question operations.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::ServiceError;
use super::keywords::starts_with;
use super::page::PageRequest;
use super::revisions::ChangeContext;
use super::versioned_change::{self, ExpectedVersion, versioned_entity};
use crate::domain::question::{Classification, NewQuestion, QuestionChanges};
use crate::domain::revision::EntryKind;
use crate::domain::status::{EntryStatus, QuestionKind};
use crate::domain::taxonomy_code::{AspectCode, RiskCode};
use crate::store::entities::question::{self, Column, Entity, Model};
use crate::taxonomy::Taxonomy;

versioned_entity!(Entity, Model, Column, EntryKind::Question);

/// Which questions a list returns.
#[derive(Debug, Clone, Default)]
pub struct QuestionFilter {
    pub kind: Option<QuestionKind>,
    pub risk: Option<RiskCode>,
    pub aspect: Option<AspectCode>,
    pub status: Option<EntryStatus>,
    pub high_risk: Option<bool>,
    /// Keep questions whose text starts with this (exact, case-sensitive).
    pub prefix: Option<String>,
}

pub async fn create(
    db: &DatabaseConnection,
    context: &ChangeContext,
    new: NewQuestion,
) -> Result<Model, ServiceError> {
    let classification = new.classification;
    versioned_change::create::<Entity>(db, context, |at| question::ActiveModel {
        text: Set(new.text.into_inner()),
        kind: Set(classification.kind()),
        risk: Set(classification.risk().map(|r| r.as_str().to_owned())),
        aspect: Set(classification.aspect().map(|a| a.as_str().to_owned())),
        high_risk: Set(new.high_risk),
        expected_output: Set(new.expected_output.map(|e| e.into_inner())),
        judgment_criteria: Set(new.judgment_criteria.map(|j| j.into_inner())),
        status: Set(new.status),
        created_by: Set(context.actor.as_str().to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..Default::default()
    })
    .await
}

pub async fn get(db: &DatabaseConnection, id: i64) -> Result<Model, ServiceError> {
    versioned_change::get::<Entity>(db, id).await
}

pub async fn list(
    db: &DatabaseConnection,
    filter: QuestionFilter,
    page: PageRequest,
) -> Result<(Vec<Model>, Option<String>), ServiceError> {
    let mut select = Entity::find();
    if let Some(kind) = filter.kind {
        select = select.filter(Column::Kind.eq(kind));
    }
    if let Some(risk) = filter.risk {
        select = select.filter(Column::Risk.eq(risk.into_inner()));
    }
    if let Some(aspect) = filter.aspect {
        select = select.filter(Column::Aspect.eq(aspect.into_inner()));
    }
    if let Some(status) = filter.status {
        select = select.filter(Column::Status.eq(status));
    }
    if let Some(high_risk) = filter.high_risk {
        select = select.filter(Column::HighRisk.eq(high_risk));
    }
    if let Some(prefix) = filter.prefix {
        select = select.filter(starts_with(Column::Text, prefix));
    }
    versioned_change::list_page(db, select, page).await
}

pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    expected_version: &ExpectedVersion,
    context: &ChangeContext,
    changes: QuestionChanges,
    taxonomy: &Taxonomy,
) -> Result<Model, ServiceError> {
    versioned_change::edit::<Entity>(db, id, expected_version, context, |current| {
        // The stored codes were valid when written; re-parse them so the edited whole is
        // checked by the same rule as a new question.
        let stored_risk = match (&changes.risk, &current.risk) {
            (Some(risk), _) => risk.clone(),
            (None, Some(code)) => Some(RiskCode::parse(code, taxonomy)?),
            (None, None) => None,
        };
        let stored_aspect = match (&changes.aspect, &current.aspect) {
            (Some(aspect), _) => aspect.clone(),
            (None, Some(code)) => Some(AspectCode::parse(code, taxonomy)?),
            (None, None) => None,
        };
        let classification = Classification::new(
            changes.kind.unwrap_or(current.kind),
            stored_risk,
            stored_aspect,
        )?;
        let mut next = current.clone();
        next.kind = classification.kind();
        next.risk = classification.risk().map(|r| r.as_str().to_owned());
        next.aspect = classification.aspect().map(|a| a.as_str().to_owned());
        if let Some(text) = changes.text {
            next.text = text.into_inner();
        }
        if let Some(high_risk) = changes.high_risk {
            next.high_risk = high_risk;
        }
        if let Some(expected_output) = changes.expected_output {
            next.expected_output = expected_output.map(|e| e.into_inner());
        }
        if let Some(judgment_criteria) = changes.judgment_criteria {
            next.judgment_criteria = judgment_criteria.map(|j| j.into_inner());
        }
        if let Some(status) = changes.status {
            next.status = status;
        }
        Ok(next)
    })
    .await
}
