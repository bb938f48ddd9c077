//! What the service counts, in the Prometheus text format (`GET /metrics`): requests by route,
//! method and status with their latency, long tasks by kind and outcome with their duration,
//! imported rows by outcome, published artefact sizes, how long writes wait for the writer
//! and their kind's write lock, and the store's busy and idle connections.
//!
//! The names and labels live here, once; callers say what happened. The recorder is the
//! process's global one (`metrics` facade), installed on first use: several servers in one
//! process (the tests) share it.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::store::PoolUsage;

/// Upper bounds of the latency buckets, in seconds: from a cached read to a long import.
const SECONDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0,
];
/// Upper bounds of the artefact size buckets, in bytes.
const BYTES: [f64; 8] = [1e4, 1e5, 1e6, 4e6, 1.6e7, 6.4e7, 2.56e8, 1e9];

/// The handle that renders everything recorded so far.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS)
            .and_then(|builder| {
                builder.set_buckets_for_metric(Matcher::Suffix("_bytes".to_owned()), &BYTES)
            })
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Another recorder installed first (none is, in this binary) only means no counts.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; /metrics stays empty");
        }
        handle
    })
}

/// Everything recorded so far, with the store's pools as they are now.
pub fn render(pools: &[(&'static str, PoolUsage)]) -> String {
    for &(pool, usage) in pools {
        for (state, count) in [("busy", usage.busy), ("idle", usage.idle)] {
            metrics::gauge!("lexset_store_connections", "pool" => pool, "state" => state)
                .set(count as f64);
        }
    }
    handle().render()
}

/// A write of `entry_kind` waited `took` for the writer connection and the kind's write lock.
pub fn write_wait(entry_kind: &'static str, took: Duration) {
    metrics::histogram!("lexset_store_write_wait_seconds", "entry_kind" => entry_kind)
        .record(took.as_secs_f64());
}

/// One answered request: `route` is the matched pattern (`/v1/keywords/{id}`), so ids do not
/// multiply the series.
pub fn request(route: &str, method: &str, status: u16, took: Duration) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("lexset_http_requests_total", &labels).increment(1);
    metrics::histogram!("lexset_http_request_duration_seconds", &labels[..2])
        .record(took.as_secs_f64());
}

/// A long task (`import`, `build`, `evaluation`) ended, `succeeded` or `failed`.
pub fn task(kind: &'static str, outcome: &'static str, took: Duration) {
    let labels = [("kind", kind), ("outcome", outcome)];
    metrics::counter!("lexset_tasks_total", &labels).increment(1);
    metrics::histogram!("lexset_task_duration_seconds", &labels).record(took.as_secs_f64());
}

/// Rows of a committed import, by outcome (`accepted`, `duplicate`, `invalid`).
pub fn imported_rows(outcome: &'static str, rows: usize) {
    metrics::counter!("lexset_import_rows_total", "outcome" => outcome).increment(rows as u64);
}

/// A build was published with an artefact of `bytes`.
pub fn published_artifact(bytes: usize) {
    metrics::histogram!("lexset_build_artifact_bytes").record(bytes as f64);
}
