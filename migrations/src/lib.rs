//! Schema migrations of the lexset store.
//!
//! Every statement is built with sea-query so that one migration runs unchanged on SQLite (the
//! embedded default) and PostgreSQL. Migrations run automatically when the service starts.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m0001_foundation;
mod m0002_dedup;
mod m0003_coverage;
mod m0004_builds;
mod m0005_evaluations;
mod m0006_replicas;
mod m0007_tokens;
mod m0008_audit;
mod m0009_users;
mod m0010_expected_behavior;
mod m0011_question_sets;
mod m0012_test_runs;
mod m0013_model_calls;
mod m0014_verdicts;
mod m0015_filings;
mod m0016_refusal_phrases;
mod m0017_model_judgments;
mod m0018_signed_builds;
mod m0019_webhooks;

/// Applies the schema migrations in order; `lexset serve` calls `Migrator::up` at start.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_dedup::Migration),
            Box::new(m0003_coverage::Migration),
            Box::new(m0004_builds::Migration),
            Box::new(m0005_evaluations::Migration),
            Box::new(m0006_replicas::Migration),
            Box::new(m0007_tokens::Migration),
            Box::new(m0008_audit::Migration),
            Box::new(m0009_users::Migration),
            Box::new(m0010_expected_behavior::Migration),
            Box::new(m0011_question_sets::Migration),
            Box::new(m0012_test_runs::Migration),
            Box::new(m0013_model_calls::Migration),
            Box::new(m0014_verdicts::Migration),
            Box::new(m0015_filings::Migration),
            Box::new(m0016_refusal_phrases::Migration),
            Box::new(m0017_model_judgments::Migration),
            Box::new(m0018_signed_builds::Migration),
            Box::new(m0019_webhooks::Migration),
        ]
    }
}
