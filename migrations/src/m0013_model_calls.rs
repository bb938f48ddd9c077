//! Answers asked of the model itself: a call puts a run's unanswered questions to an
//! OpenAI-compatible chat-completions endpoint. The call keeps its settings (never the key:
//! only the name of the environment variable holding it) so a restart can resume it; each
//! answer it records keeps its latency, token counts and attempts; a question that failed
//! after its retries keeps its last error until a later call answers it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ModelCalls {
    Table,
    Id,
    RunId,
    /// The task running the call now (a resumed call gets a new one).
    TaskId,
    /// JSON of the call's settings, as the request gave them (no key).
    Settings,
    /// `calling`, `finished` or `failed`.
    Status,
    Error,
    CreatedBy,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum TestAnswers {
    Table,
    /// The call that asked for the answer; null for an uploaded one.
    CallId,
    LatencyMs,
    PromptTokens,
    CompletionTokens,
    Attempts,
}

#[derive(DeriveIden)]
enum TestAnswerErrors {
    Table,
    RunId,
    QuestionId,
    CallId,
    /// What went wrong last: `timeout`, `rate_limited`, `server_error`, …
    Kind,
    Message,
    Attempts,
    LatencyMs,
    RecordedAt,
}

#[derive(DeriveIden)]
enum TestRuns {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ModelCalls::Table)
                    .col(big_pk_auto(ModelCalls::Id))
                    .col(big_integer(ModelCalls::RunId))
                    .col(big_integer(ModelCalls::TaskId))
                    .col(text(ModelCalls::Settings))
                    .col(string_len(ModelCalls::Status, 16))
                    .col(text_null(ModelCalls::Error))
                    .col(string_len(ModelCalls::CreatedBy, 64))
                    .col(timestamp_with_time_zone(ModelCalls::CreatedAt))
                    .col(timestamp_with_time_zone_null(ModelCalls::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelCalls::Table, ModelCalls::RunId)
                            .to(TestRuns::Table, TestRuns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One call at a time per run, however the starts race: a partial unique index, the
        // same statement on SQLite and PostgreSQL. It also serves lookups by run.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX model_calls_one_calling ON model_calls (run_id) \
                 WHERE status = 'calling'",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("model_calls_by_run")
                    .table(ModelCalls::Table)
                    .col(ModelCalls::RunId)
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per statement.
        for column in [
            big_integer_null(TestAnswers::CallId),
            big_integer_null(TestAnswers::LatencyMs),
            big_integer_null(TestAnswers::PromptTokens),
            big_integer_null(TestAnswers::CompletionTokens),
            integer_null(TestAnswers::Attempts),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(TestAnswers::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TestAnswerErrors::Table)
                    .col(big_integer(TestAnswerErrors::RunId))
                    .col(big_integer(TestAnswerErrors::QuestionId))
                    .col(big_integer(TestAnswerErrors::CallId))
                    .col(string_len(TestAnswerErrors::Kind, 32))
                    .col(text(TestAnswerErrors::Message))
                    .col(integer(TestAnswerErrors::Attempts))
                    .col(big_integer(TestAnswerErrors::LatencyMs))
                    .col(timestamp_with_time_zone(TestAnswerErrors::RecordedAt))
                    .primary_key(
                        Index::create()
                            .col(TestAnswerErrors::RunId)
                            .col(TestAnswerErrors::QuestionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TestAnswerErrors::Table, TestAnswerErrors::RunId)
                            .to(TestRuns::Table, TestRuns::Id),
                    )
                    .to_owned(),
            )
            .await
    }
}
