//! The bindings' costs: Python `Filter.find` against Rust `Filter::find`, and the time from a
//! build's publication to its use in a client.
//!
//! 1. Throughput: the matching bench's input (100 000 keywords from `../shared/data` compiled
//!    into an artefact, ≥ 10 MB of Chinese text) written to a temporary directory; then, in
//!    alternation, `Filter::find` here and `lexset_filter.Filter.find` in a Python process
//!    (`LEXSET_BENCH_PYTHON`, an interpreter with the wheel installed), each timing one call
//!    on the same text after loading. Headline: Rust time ÷ Python time (the Python
//!    throughput as a fraction of Rust's), medians of 9 alternating runs. The Python figure
//!    counts the whole call: the text handed to Rust, matching without the GIL, and every hit
//!    turned into a Python object.
//! 2. Swap latency: a server on loopback (SQLite, a signing key) and a Rust `Updater` (the
//!    code the C and Python updaters run) following its event stream; each of 9 builds is
//!    published, and the time from its `published_at` to the updater reporting it is taken.
//!
//! Run from the workspace root, after `bash .ci/bindings.sh target/debug/lexset` (which
//! leaves the wheel installed in `${TMPDIR:-/tmp}/lexset-bindings-venv`):
//! `LEXSET_BENCH_PYTHON=/tmp/lexset-bindings-venv/bin/python cargo bench -p lexset --bench bindings`

mod support;
use support::{data_dir, flames_prompts, matching_setup, mb_per_s, numbered_keywords};

use std::time::{Duration, Instant};

use lexset::services::builds::compile;
use lexset_filter::Filter;

const RUNS: usize = 9;

/// Loads the artefact and text given as arguments, times one `find` of the whole text, and
/// prints the milliseconds, the hits, and the milliseconds to touch every hit's fields.
const PYTHON_TIMER: &str = r#"
import sys, time, lexset_filter
f = lexset_filter.Filter.load(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read()
f.find(text[:10000])
start = time.perf_counter()
hits = f.find(text)
took = time.perf_counter() - start
start = time.perf_counter()
spans = sum(h.char_end - h.char_start for h in hits)
touched = time.perf_counter() - start
print(took * 1000, len(hits), touched * 1000)
"#;

fn middle(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn throughput(python: &str) {
    let data = data_dir();
    let (dedup, risks, base) = matching_setup(&data);
    let entries = numbered_keywords(&base, 100_000, &risks);
    let bytes = compile(&dedup, &risks, 1, &entries).expect("compile");
    let prompts = flames_prompts(&data);
    let once = prompts.join("\n");
    let text = once.repeat(10_000_000 / once.len() + 1);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (artifact_path, text_path) = (dir.path().join("build.lexset"), dir.path().join("text.txt"));
    std::fs::write(&artifact_path, &bytes).expect("artefact written");
    std::fs::write(&text_path, &text).expect("text written");
    let filter = Filter::load(&bytes).expect("load");
    filter.find(&text[..text.floor_char_boundary(10_000)]);

    let (mut rust, mut python_times, mut touched) = (Vec::new(), Vec::new(), Vec::new());
    let mut hits = (0, 0);
    for _ in 0..RUNS {
        let start = Instant::now();
        hits.0 = filter.find(&text).len();
        rust.push(start.elapsed().as_secs_f64() * 1e3);
        let output = std::process::Command::new(python)
            .args(["-c", PYTHON_TIMER])
            .arg(&artifact_path)
            .arg(&text_path)
            .output()
            .expect("the Python interpreter runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed = String::from_utf8_lossy(&output.stdout).to_string();
        let fields: Vec<f64> = printed
            .split_whitespace()
            .map(|field| field.parse().expect("a number"))
            .collect();
        python_times.push(fields[0]);
        hits.1 = fields[1] as usize;
        touched.push(fields[2]);
    }
    assert_eq!(hits.0, hits.1, "both find the same hits");
    let (rust, python_time, touched) = (
        middle(&mut rust),
        middle(&mut python_times),
        middle(&mut touched),
    );
    let seconds = |ms: f64| Duration::from_secs_f64(ms / 1e3);
    println!(
        "input: {:.2} MB of Chinese text, 100 000 keywords; {} hits",
        text.len() as f64 / 1e6,
        hits.0
    );
    println!(
        "Rust Filter::find: {rust:.1} ms, {:.0} MB/s",
        mb_per_s(text.len(), seconds(rust))
    );
    println!(
        "Python Filter.find: {python_time:.1} ms, {:.0} MB/s (then {touched:.1} ms to read every hit's span)",
        mb_per_s(text.len(), seconds(python_time))
    );
    println!(
        "HEADLINE Python throughput ÷ Rust throughput (Rust time ÷ Python time, medians of {RUNS} alternating runs): {:.3}×",
        rust / python_time
    );
}

fn swap_latency() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let key = dir.path().join("signing.pem");
        let public = lexset::services::signing::create_key_file(&key).expect("a key");
        let settings = lexset::config::Settings {
            bind: "127.0.0.1:0".to_owned(),
            signing_key_file: Some(key),
            four_eyes: false,
            ..lexset::config::Settings::with_data_dir(dir.path().join("data"))
        };
        let application = lexset::startup::Application::build(&settings)
            .await
            .expect("the server builds");
        let base = format!("http://127.0.0.1:{}", application.port());
        let stop = application.handle();
        let serving = tokio::spawn(application.run_until_stopped());
        let token = {
            let (db, _) = lexset::startup::open_store(&settings).await.expect("store");
            let new = lexset::services::tokens::NewToken {
                user: lexset::domain::user::UserName::parse("user", "bench").expect("a name"),
                name: None,
                role: lexset::domain::role::Role::Admin,
                expires_at: None,
            };
            lexset::services::tokens::create(
                &db,
                new,
                ("bench", None),
                lexset::services::tokens::UnknownUser::Create,
            )
            .await
            .expect("a token")
            .secret
        };
        let client = reqwest::Client::new();
        let publish = || async {
            let started = client
                .post(format!("{base}/v1/builds"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("POST /v1/builds");
            let body: serde_json::Value = started.json().await.expect("JSON");
            body["build"]["number"].as_u64().expect("a build number")
        };
        let cache = tempfile::tempdir().expect("a cache directory");
        let mut config = lexset_filter::updater::UpdaterConfig::new(base.clone(), cache.path());
        config.token = Some(token.clone());
        config.trusted_keys = vec![public];
        let first = publish().await;
        let updater = std::sync::Arc::new(lexset_filter::updater::Updater::start(config).expect("updater"));
        let waiting = updater.clone();
        tokio::task::spawn_blocking(move || waiting.wait_for_build(first, Duration::from_secs(30)))
            .await
            .expect("joined");
        let mut latencies = Vec::new();
        for _ in 0..RUNS {
            let number = publish().await;
            let waiting = updater.clone();
            let seen = tokio::task::spawn_blocking(move || {
                waiting.wait_for_build(number, Duration::from_secs(30));
                chrono::Utc::now()
            })
            .await
            .expect("joined");
            let build: serde_json::Value = client
                .get(format!("{base}/v1/builds/{number}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("JSON");
            let published = chrono::DateTime::parse_from_rfc3339(
                build["published_at"].as_str().expect("published"),
            )
            .expect("a time");
            latencies.push((seen - published.to_utc()).num_microseconds().unwrap_or(0) as f64 / 1e3);
        }
        let max = latencies.iter().copied().fold(0.0, f64::max);
        println!(
            "HEADLINE publish → active in the updater (event stream, loopback): median {:.0} ms, max {max:.0} ms over {RUNS} builds",
            middle(&mut latencies)
        );
        stop.stop(true).await;
        serving.await.ok();
    });
}

fn main() {
    match std::env::var("LEXSET_BENCH_PYTHON") {
        Ok(python) => throughput(&python),
        Err(_) => println!(
            "LEXSET_BENCH_PYTHON unset: skipping Python against Rust (see the module comment)"
        ),
    }
    swap_latency();
}
