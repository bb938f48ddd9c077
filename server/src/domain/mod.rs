//! Domain types that parse client input into values that are valid by construction.
//!
//! Every request field passes through one of these parsers before it reaches a service, so
//! services and the store never see an empty term, a control character or an unknown risk.

pub mod corpus;
pub mod field_error;
pub mod http_url;
pub mod keyword;
pub mod model_call;
pub mod question;
pub mod question_set;
pub mod revision;
pub mod role;
pub mod status;
pub mod taxonomy_code;
pub mod test_run;
pub mod text;
pub mod time;
pub mod user;
pub mod webhook;
