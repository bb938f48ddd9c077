//! The model a test run puts its questions to, as people name it.

use super::text::bounded_text;

bounded_text!(
    /// The model under filing (`qwen-chat`).
    ModelName, field = "model_name", max = 128, lines = Single
);
bounded_text!(
    /// Its version as filed (`2026-11-30`, `v2.1`).
    ModelVersion, field = "model_version", max = 128, lines = Single
);
bounded_text!(
    /// Where and how it was reached (a test account, an internal URL), shown to every reader:
    /// no place for a key.
    ModelEndpoint, field = "model_endpoint", max = 500, lines = Single
);
