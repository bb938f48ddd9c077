//! Loading the shipped taxonomy into the store, and reading it back.

use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryOrder, Set, TransactionTrait};

use crate::store::entities::{aspect, risk};
use crate::taxonomy::Taxonomy;

/// Upserts every risk and aspect of `taxonomy` by code, in one transaction. Running it again
/// changes nothing; a corrected name in `seeds/` replaces the stored one.
pub async fn load(db: &DatabaseConnection, taxonomy: &Taxonomy) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let risks = taxonomy
        .risks
        .iter()
        .zip(0..)
        .map(|(r, position)| risk::ActiveModel {
            code: Set(r.code.clone()),
            name_zh: Set(r.name_zh.clone()),
            name_en: Set(r.name_en.clone()),
            group_code: Set(r.group_code.clone()),
            group_name_zh: Set(r.group_name_zh.clone()),
            group_name_en: Set(r.group_name_en.clone()),
            position: Set(position),
        });
    risk::Entity::insert_many(risks)
        .on_conflict(
            OnConflict::column(risk::Column::Code)
                .update_columns([
                    risk::Column::NameZh,
                    risk::Column::NameEn,
                    risk::Column::GroupCode,
                    risk::Column::GroupNameZh,
                    risk::Column::GroupNameEn,
                    risk::Column::Position,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    let aspects = taxonomy
        .aspects
        .iter()
        .zip(0..)
        .map(|(a, position)| aspect::ActiveModel {
            code: Set(a.code.clone()),
            name_zh: Set(a.name_zh.clone()),
            name_en: Set(a.name_en.clone()),
            scope: Set(a.scope.clone()),
            position: Set(position),
        });
    aspect::Entity::insert_many(aspects)
        .on_conflict(
            OnConflict::column(aspect::Column::Code)
                .update_columns([
                    aspect::Column::NameZh,
                    aspect::Column::NameEn,
                    aspect::Column::Scope,
                    aspect::Column::Position,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// The stored risks in the standard's order.
pub async fn risks(db: &DatabaseConnection) -> Result<Vec<risk::Model>, DbErr> {
    risk::Entity::find()
        .order_by_asc(risk::Column::Position)
        .all(db)
        .await
}

/// The stored aspects in the standard's order.
pub async fn aspects(db: &DatabaseConnection) -> Result<Vec<aspect::Model>, DbErr> {
    aspect::Entity::find()
        .order_by_asc(aspect::Column::Position)
        .all(db)
        .await
}
