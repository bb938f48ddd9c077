//! One module per table. Models serialize to the API's JSON shape, so a revision's snapshot
//! is exactly what `GET` returned at that version.

pub mod api_token;
pub mod aspect;
pub mod audit_entry;
pub mod build;
pub mod build_artifact;
pub mod evaluation;
pub mod keyword;
pub mod question;
pub mod question_band;
pub mod revision;
pub mod risk;
pub mod store_state;
pub mod task;
pub mod write_lock;
