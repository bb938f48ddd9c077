//! One module per table. Models serialize to the API's JSON shape, so a revision's snapshot
//! is exactly what `GET` returned at that version.

pub mod aspect;
pub mod keyword;
pub mod question;
pub mod revision;
pub mod risk;
