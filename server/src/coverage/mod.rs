//! Coverage: how far the store is from the quotas of a rule profile.
//!
//! Rule profiles are data (`seeds/rule-profiles/*.toml`, plus `*.toml` files in
//! `<data dir>/rule-profiles/`, read on every request). [`evaluate`] turns a profile and the
//! store's aggregate counts into a report; `services::coverage` gathers those counts with one
//! grouped query per entry kind, whatever the number of rules; [`render`] writes the report as
//! CSV, XLSX, an HTML page with SVG bars, or a terminal table.

pub mod evaluate;
pub mod render;
pub mod rules;
