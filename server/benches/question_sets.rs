//! Question sets over a store of 100 000 approved questions (200 000 in all, every kind, risk
//! and aspect, half high-risk, statuses in turn): what `POST /v1/question-sets` does, timed
//! through the service (the HTTP layer only parses and shapes).
//!
//! - a §9.3 sample of 1 000 generation questions, previewed (read, stratify, draw, count);
//! - the 登记 set composed and frozen (1 000 questions written with their copies);
//! - a 10 000-question proportional sample frozen;
//! - the diff of two frozen 10 000-question sets.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench question_sets`
//! (filling the store comes first; each timed step is the median of 5 runs).

use std::time::{Duration, Instant};

mod support;

use lexset::domain::question_set::SetName;
use lexset::services::audit::AuditStamp;
use lexset::services::question_sets::{self, NewSet, Recipe, presets};
use support::{app_state, fill_store};

const QUESTIONS: usize = 200_000;
const RUNS: usize = 5;

async fn median<T, F: Future<Output = T>>(mut work: impl FnMut(usize) -> F) -> (Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for run in 0..RUNS {
        let start = Instant::now();
        last = Some(work(run).await);
        times.push(start.elapsed());
    }
    times.sort();
    (times[RUNS / 2], last.expect("at least one run"))
}

fn ms(time: Duration) -> f64 {
    time.as_secs_f64() * 1e3
}

#[actix_web::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = app_state(dir.path()).await;
    let taxonomy = state.taxonomy.clone();
    let fill = fill_store(
        &state.db,
        &taxonomy,
        0,
        |_| String::new(),
        QUESTIONS,
        |n| format!("问题{n}？"),
    )
    .await;
    println!(
        "filled {QUESTIONS} questions (100 000 approved) in {:.1} s",
        fill.as_secs_f64()
    );
    let audit = AuditStamp::new("bench", None, "bench", "");
    let new = |name: &str, recipe: Recipe| NewSet {
        name: SetName::parse(name).expect("a name"),
        description: None,
        recipe,
    };

    let (sample, preview) = median(|run| {
        let recipe = Recipe::Sample(presets::generation_9_3(&taxonomy, run as u64));
        question_sets::create(&state, new("§9.3", recipe), true, &audit)
    })
    .await;
    let preview = preview.expect("a §9.3 sample");
    println!(
        "§9.3 sample of {} generation questions (preview): median {:.0} ms",
        preview.member_ids.len(),
        ms(sample)
    );

    let (compose, composed) = median(|run| {
        let recipe = Recipe::Compose(presets::registration(&taxonomy, run as u64));
        question_sets::create(&state, new("登记", recipe), false, &audit)
    })
    .await;
    let composed = composed.expect("a 登记 set");
    println!(
        "登记 set composed and frozen ({} questions, {} high-risk, {} expected refusals): median {:.0} ms",
        composed.counts.total,
        composed.counts.high_risk,
        composed
            .counts
            .by_behavior
            .get("refuse")
            .copied()
            .unwrap_or(0),
        ms(compose)
    );

    let (freeze, frozen) = median(|run| {
        let mut recipe = presets::generation_9_3(&taxonomy, 100 + run as u64);
        recipe.pool.kinds.clear();
        recipe.size = Some(10_000);
        question_sets::create(&state, new("10k", Recipe::Sample(recipe)), false, &audit)
    })
    .await;
    let frozen = frozen.expect("a 10 000-question set");
    let last = frozen.set.expect("stored").id;
    println!("10 000-question sample frozen: median {:.0} ms", ms(freeze));

    let (diff, difference) = median(|_| question_sets::diff(&state.reads, last - 1, last)).await;
    let difference = difference.expect("a diff");
    println!(
        "diff of two 10 000-question sets ({} added, {} removed): median {:.1} ms",
        difference.added.len(),
        difference.removed.len(),
        ms(diff)
    );
}
