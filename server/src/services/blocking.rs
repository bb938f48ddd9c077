//! The one way services leave the async workers for CPU-heavy work (import parsing, lint
//! reports, exports, compiling and evaluating builds, similar-question search): tokio's
//! blocking pool, so requests keep being answered meanwhile.

/// The blocking work panicked (or the runtime is shutting down); nothing it computed is kept.
#[derive(Debug, thiserror::Error)]
#[error("background work stopped before it finished: {0}")]
pub struct Interrupted(String);

/// Runs `work` on the blocking pool and waits for its result.
pub async fn off_workers<T, Work>(work: Work) -> Result<T, Interrupted>
where
    T: Send + 'static,
    Work: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| Interrupted(error.to_string()))
}
