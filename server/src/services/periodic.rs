//! Background work repeated at an interval until stopped (the search indexer, task leases).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Work running every interval; [`Periodic::stop`] ends it after the current round and
/// drops its state (e.g. releasing the search index writer).
pub struct Periodic {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
    health: WorkerHealth,
}

/// Whether a background worker still runs: a round that panicked ends it (its state may be
/// broken), and `/ready` then answers 503 so the replica is taken out and restarted.
#[derive(Debug, Clone)]
pub struct WorkerHealth {
    pub name: &'static str,
    alive: Arc<AtomicBool>,
}

impl WorkerHealth {
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed)
    }
}

/// Runs `round` every `interval`, threading `state` from one round to the next. A round never
/// overlaps the next: the interval counts from the end of the previous round.
pub fn every<S, F, Fut>(
    name: &'static str,
    interval: Duration,
    mut state: S,
    mut round: F,
) -> Periodic
where
    S: Send + 'static,
    F: FnMut(S) -> Fut + Send + 'static,
    Fut: Future<Output = S> + Send,
{
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let health = WorkerHealth {
        name,
        alive: Arc::new(AtomicBool::new(true)),
    };
    let alive = health.alive.clone();
    let task = tokio::spawn(async move {
        while tokio::time::timeout(interval, stopped.notified())
            .await
            .is_err()
        {
            match AssertUnwindSafe(round(state)).catch_unwind().await {
                Ok(next) => state = next,
                Err(_) => {
                    tracing::error!(worker = name, "background work panicked and stopped");
                    alive.store(false, Ordering::Relaxed);
                    return;
                }
            }
        }
    });
    Periodic { stop, task, health }
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

    pub fn health(&self) -> WorkerHealth {
        self.health.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_round_stops_the_worker_and_says_so() {
        let worker = every("test", Duration::from_millis(1), 0u32, |n| async move {
            assert!(n < 2, "round {n} fails");
            n + 1
        });
        let health = worker.health();
        for _ in 0..200 {
            if !health.is_alive() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!health.is_alive());
        worker.stop().await;
    }
}
