//! The names and descriptions of question sets.

use super::text::bounded_text;

bounded_text!(
    /// A question set's name (`2026-12 登记`); sets of one name are its versions.
    SetName, field = "name", max = 128, lines = Single
);
bounded_text!(
    /// What a question set is for.
    SetDescription, field = "description", max = 2000, lines = Multi
);
