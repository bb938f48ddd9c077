//! Black-box API tests: each test starts the real server on a random port with a fresh
//! temporary database and talks to it over HTTP.

mod helpers;

mod access;
mod audit;
mod build_events;
mod builds;
mod concurrency;
mod coverage;
mod dedup;
mod errors;
mod evaluations;
mod exports;
mod filings;
mod health_and_docs;
mod imports;
mod keywords;
mod languages;
mod lints;
mod model_calls;
mod model_stub;
mod public_sets;
mod question_sets;
mod questions;
mod refusals;
mod replicas;
mod review;
mod run_reports;
mod search;
mod signing;
mod taxonomy;
mod test_runs;
mod updater;
mod users;
mod verdicts;
mod webhooks;
