//! Coverage over a large store: 1 000 000 keywords and 100 000 questions in SQLite, spread
//! over every risk, aspect, kind and status, each with its `created` revision; measures
//! gathering the aggregate counts through the reader pool and evaluating the `tc260-003-2024`
//! profile (what `GET /v1/coverage` does per request).
//!
//! Run from the workspace root: `cargo bench -p lexset --bench coverage`
//! (filling the store takes most of the run; the timed part is printed last).

use std::time::{Duration, Instant};

mod support;

use chrono::Utc;
use lexset::coverage::evaluate::evaluate;
use lexset::coverage::rules::{Threshold, load_profiles};
use lexset::domain::status::EntryStatus;
use lexset::services::coverage::aggregates;
use support::{checkpoint, fill_store, seeded_store};

const KEYWORDS: usize = 1_000_000;
const QUESTIONS: usize = 100_000;

#[actix_web::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, taxonomy) = seeded_store(dir.path()).await;
    let fill = fill_store(
        &db,
        &taxonomy,
        KEYWORDS,
        |n| format!("词{n}"),
        QUESTIONS,
        |n| format!("问题{n}？"),
    )
    .await;
    println!(
        "filled {KEYWORDS} keywords and {QUESTIONS} questions in {:.1} s",
        fill.as_secs_f64()
    );
    checkpoint(&db).await;
    // Coverage reads through the reader pool, as `GET /v1/coverage` does.
    let url = format!("sqlite://{}?mode=rw", dir.path().join("bench.db").display());
    let reads = lexset::store::connect_readers(&url, &db, 4)
        .await
        .expect("readers");

    let profiles_dir = dir.path().join("rule-profiles");
    let profile = load_profiles(&taxonomy, &profiles_dir)
        .expect("profiles")
        .into_iter()
        .find(|p| p.id == "tc260-003-2024")
        .expect("tc260 profile");
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..7 {
        let start = Instant::now();
        let counts = aggregates(&reads, &profile).await.expect("aggregates");
        let report = evaluate(
            &profile,
            &taxonomy,
            &counts,
            &[EntryStatus::Approved],
            Utc::now(),
        );
        times.push(start.elapsed());
        last = Some(report);
    }
    times.sort();
    // The same without the freshness rules: what their walks of the revisions cost.
    let mut counts_only = profile.clone();
    counts_only
        .rules
        .retain(|rule| !matches!(rule.threshold, Threshold::MaxAgeDays(_)));
    let mut without: Vec<Duration> = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        aggregates(&reads, &counts_only).await.expect("aggregates");
        without.push(start.elapsed());
    }
    without.sort();
    println!(
        "gathering the counts without the 4 freshness rules: median {:.0} ms",
        without[without.len() / 2].as_secs_f64() * 1e3
    );
    let report = last.expect("a report");
    let kw_total = &report.rules[0].groups[0];
    println!(
        "coverage of tc260-003-2024 over {KEYWORDS} keywords + {QUESTIONS} questions: median {:.0} ms (min {:.0}, max {:.0}); KW-TOTAL have {}",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        kw_total.have
    );
}
