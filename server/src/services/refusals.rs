//! Refusal detection on answers sent in: the rules of [`crate::refusal`], off the async
//! workers (a request may carry a megabyte of answers).

use std::sync::Arc;

use super::{ServiceError, blocking};
use crate::refusal::{RefusalDetector, RefusalVerdict};

/// The verdict of each answer, in order.
pub async fn classify(
    detector: Arc<RefusalDetector>,
    answers: Vec<String>,
) -> Result<Vec<RefusalVerdict>, ServiceError> {
    Ok(blocking::off_workers(move || {
        answers
            .iter()
            .map(|answer| detector.classify(answer))
            .collect()
    })
    .await?)
}
