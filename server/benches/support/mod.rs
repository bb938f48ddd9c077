//! What the benchmarks share: the public data sets in `../shared/data` and timing.

#![allow(dead_code)] // each bench uses its own part of this module

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `../shared/data`, or `LEXSET_BENCH_DATA`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("LEXSET_BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data")))
}

/// Runs `work` `runs` times; returns the median duration and the last result.
pub fn median<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(work());
        times.push(start.elapsed());
    }
    times.sort();
    (times[runs / 2], last.expect("at least one run"))
}

pub fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}

/// Every non-empty, trimmed line of the konsheng lexicon, file by file.
pub fn lexicon_lines(data: &Path) -> Vec<String> {
    let folder = data.join("konsheng-sensitive-lexicon/Vocabulary");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The 1 000 Flames prompts.
pub fn flames_prompts(data: &Path) -> Vec<String> {
    let path = data.join("flames-1k/Flames_1k_Chinese.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|value| value["prompt"].as_str().map(str::to_owned))
        .collect()
}

/// `count` distinct block keywords spread over the 17 A.1/A.2 risks: `base`, then numbered
/// variants of it.
pub fn numbered_keywords(
    base: &[String],
    count: usize,
    risks: &[String],
) -> Vec<(String, lexset::domain::status::KeywordKind, String)> {
    (0..count)
        .map(|i| {
            let term = &base[i % base.len()];
            let term = if i < base.len() {
                term.clone()
            } else {
                format!("{term}{}", i / base.len())
            };
            (
                term,
                lexset::domain::status::KeywordKind::Block,
                risks[i % 17].clone(),
            )
        })
        .collect()
}
