//! lexset: curates the interception-keyword lexicon (拦截关键词列表) and the evaluation
//! test-question sets (评估测试题集) of a Chinese generative-AI filing.
//!
//! Layers, each depending only on those below it: `http` (handlers, errors, OpenAPI) →
//! `services` (one transaction per operation) → `store` (entities, migrations) — with
//! `domain` (parsed input types, no storage or wire crate), `messages` (texts for people in
//! Chinese and English) and `taxonomy` (seed data) used by all. See `docs/architecture.md`;
//! `layering` checks the rules.

pub mod answer_templates;
pub mod chat_client;
pub mod config;
pub mod coverage;
pub mod dedup;
pub mod domain;
pub mod evaluation;
pub mod export;
pub mod fold;
pub mod http;
#[cfg(test)]
mod layering;
pub mod lint;
pub mod messages;
pub mod model_judge;
pub mod refusal;
pub mod run_report;
pub mod sampling;
pub mod search;
pub mod seed_file;
pub mod segmentation;
pub mod services;
pub mod startup;
pub mod store;
pub mod task_runtime;
pub mod taxonomy;
pub mod telemetry;
pub mod webhook_client;

/// Every program built on this crate (the server, its benchmarks and tests) allocates with
/// mimalloc: an import's many short-lived rows and statement values spent about a quarter of
/// its time in the system allocator (`docs/benchmarks.md`, import).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
