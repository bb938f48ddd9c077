//! Background work repeated at an interval until stopped (the search indexer, task leases).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Work running every interval; [`Periodic::stop`] ends it after the current round and
/// drops its state (e.g. releasing the search index writer).
pub struct Periodic {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

/// Runs `round` every `interval`, threading `state` from one round to the next. A round never
/// overlaps the next: the interval counts from the end of the previous round.
pub fn every<S, F, Fut>(interval: Duration, mut state: S, mut round: F) -> Periodic
where
    S: Send + 'static,
    F: FnMut(S) -> Fut + Send + 'static,
    Fut: Future<Output = S> + Send,
{
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        while tokio::time::timeout(interval, stopped.notified())
            .await
            .is_err()
        {
            state = round(state).await;
        }
    });
    Periodic { stop, task }
}

impl Periodic {
    /// Asks the work to stop and waits until it has.
    pub async fn stop(self) {
        // `notify_one` keeps a permit when the loop is mid-round, so the stop is not lost.
        self.stop.notify_one();
        if let Err(error) = self.task.await {
            tracing::error!(%error, "background work ended abnormally");
        }
    }
}
