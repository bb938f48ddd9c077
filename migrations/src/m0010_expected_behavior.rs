//! Expected behaviour as data: every question says whether a good answer refuses or answers
//! (`expected_behavior`, `refuse` / `answer`), and whether its 预期输出结果 and 判定标准 came
//! from an answer template nobody has confirmed yet (`templated`).
//!
//! Must-refuse questions are filled with `refuse` and must-not-refuse ones with `answer`, from
//! their kind. Generation questions are left empty here: the start-up refold (which runs
//! because the lint rules changed with this migration) fills each from its 预期输出结果 where
//! that text says unambiguously which it is, and reports the rest for review (an error lint
//! keeps them from approval until someone says).
//!
//! It also replaces the index of question bands on `hash` with one on `(hash, question_id)`:
//! finding a question's near-duplicate candidates then reads the index alone, not one table
//! row per band shared (an import of 100 000 questions did that millions of times).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuestionBands {
    Table,
    Hash,
    QuestionId,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Kind,
    ExpectedBehavior,
    Templated,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Questions::Table)
                    .add_column(string_len_null(Questions::ExpectedBehavior, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Questions::Table)
                    .add_column(boolean(Questions::Templated).default(false))
                    .to_owned(),
            )
            .await?;
        for (kind, behavior) in [("must_refuse", "refuse"), ("must_not_refuse", "answer")] {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Questions::Table)
                        .value(Questions::ExpectedBehavior, behavior)
                        .and_where(Expr::col(Questions::Kind).eq(kind))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_question_bands_hash_question")
                    .table(QuestionBands::Table)
                    .col(QuestionBands::Hash)
                    .col(QuestionBands::QuestionId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_question_bands_hash")
                    .table(QuestionBands::Table)
                    .to_owned(),
            )
            .await
    }
}
