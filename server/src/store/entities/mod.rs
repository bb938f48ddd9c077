//! One module per table. These are storage types: the API shows its own view types (in
//! `http/`), converted from these in one place each. Keyword and question models serialize
//! to the JSON of a revision's snapshot, which their API views mirror field for field (an API
//! test compares a `GET` with the snapshot of the same version).

pub mod answer_verdict;
pub mod api_token;
pub mod aspect;
pub mod audit_entry;
pub mod build;
pub mod build_artifact;
pub mod evaluation;
pub mod filing;
pub mod keyword;
pub mod model_call;
pub mod model_judgment;
pub mod question;
pub mod question_band;
pub mod question_set;
pub mod question_set_member;
pub mod refusal_phrase_version;
pub mod revision;
pub mod risk;
pub mod signing_key;
pub mod store_state;
pub mod task;
pub mod test_answer;
pub mod test_answer_error;
pub mod test_run;
pub mod user;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod write_lock;
