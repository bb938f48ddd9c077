//! Full-text search over 100 000 keywords and 100 000 questions in SQLite: a full reindex,
//! the latency of searches as `GET /v1/search` runs them (20 hits with snippets) and of
//! similar-question lookups, and how long one change takes to become searchable.
//!
//! Keywords are the konsheng lexicon's lines (plus numbered variants up to 100 000);
//! questions are Flames prompts, each joined with the start of another one, so no two texts
//! repeat. Queries are lexicon terms (some written traditional), two-word excerpts of prompts
//! and single characters. Data: `../shared/data` (or `LEXSET_BENCH_DATA`).
//!
//! Run from the workspace root: `cargo bench -p lexset --bench search`

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use lexset::dedup::near_duplicates::NearDuplicateConfig;
use lexset::domain::revision::{EntryKind, RevisionAction};
use lexset::domain::status::EntryStatus;
use lexset::fold::FoldProfile;
use lexset::search::{EntryFilter, SearchIndex};
use lexset::services::search::Indexer;
use lexset::store::entities::{keyword, revision};
use opencc_rust::{DefaultConfig, OpenCC};
use sea_orm::{ActiveModelTrait, Set};
use support::{data_dir, fill_store, flames_prompts, lexicon_lines, seeded_store};

const KEYWORDS: usize = 100_000;
const QUESTIONS: usize = 100_000;
const QUERIES: usize = 2_000;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1e3
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} runs",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        times.len()
    );
}

#[actix_web::main]
async fn main() {
    let data = data_dir();
    let lexicon = lexicon_lines(&data);
    let prompts = flames_prompts(&data);
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, taxonomy) = seeded_store(dir.path()).await;
    let risks: Vec<String> = taxonomy.risks.iter().map(|r| r.code.clone()).collect();
    let now = Utc::now();
    let term = |n: usize| match lexicon.get(n) {
        Some(line) => line.clone(),
        None => format!("{}{}", lexicon[n % lexicon.len()], n / lexicon.len()),
    };
    let text = |n: usize| {
        let head: String = prompts[(n * 7 + n / prompts.len()) % prompts.len()]
            .chars()
            .take(12)
            .collect();
        format!("{}{head}", prompts[n % prompts.len()])
    };
    let fill = fill_store(&db, &taxonomy, KEYWORDS, &term, QUESTIONS, &text).await;
    println!(
        "filled {KEYWORDS} keywords and {QUESTIONS} questions in {:.1} s",
        fill.as_secs_f64()
    );

    let profile = FoldProfile::shipped().expect("profile");
    let directory = dir.path().join("search-index");
    let started = Instant::now();
    let entries = Indexer::reindex(&db, &directory, profile.clone())
        .await
        .expect("reindex");
    println!(
        "full reindex of {entries} entries: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let size: u64 = std::fs::read_dir(&directory)
        .expect("index directory")
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|metadata| metadata.len())
        .sum();
    println!("index size: {:.1} MB", size as f64 / 1e6);

    let (index, _) = SearchIndex::open(&directory, profile.clone()).expect("index");
    let s2t = OpenCC::new(DefaultConfig::S2T).expect("OpenCC s2t");
    let queries: Vec<String> = (0..QUERIES)
        .map(|n| match n % 4 {
            0 => term(n * 37 % KEYWORDS),
            // Traditional script: the index folds the query.
            1 => s2t.convert(term(n * 53 % KEYWORDS)),
            2 => prompts[n % prompts.len()].chars().skip(3).take(6).collect(),
            _ => prompts[n % prompts.len()]
                .chars()
                .nth(2)
                .map(String::from)
                .unwrap_or_default(),
        })
        .collect();
    let filter = EntryFilter::default();
    let (mut times, mut found) = (Vec::with_capacity(QUERIES), 0);
    for query in &queries {
        let started = Instant::now();
        let words = index.query_words(query);
        if words.is_empty() {
            continue;
        }
        let (_, total) = index.search(&words, &filter, 0, 20).expect("search");
        times.push(started.elapsed());
        found += usize::from(total > 0);
    }
    println!("{found} of {} queries found something", times.len());
    report("search (20 hits with snippets)", times);

    let config = NearDuplicateConfig::shipped().expect("near-duplicate config");
    let questions = EntryFilter {
        entry: Some(EntryKind::Question),
        ..EntryFilter::default()
    };
    let times = (0..QUERIES / 4)
        .map(|n| {
            let started = Instant::now();
            let words: Vec<String> =
                lexset::dedup::near_duplicates::words(&profile, &config, &text(n * 41))
                    .into_iter()
                    .collect();
            index
                .search_any(&words, &questions, 20)
                .expect("similar questions");
            started.elapsed()
        })
        .collect();
    report("similar questions (20, by the question's words)", times);
    drop(index);

    // One change: its revision is replayed, committed and the reader reloaded.
    let (mut indexer, _) = Indexer::open(&db, &directory, profile)
        .await
        .expect("indexer");
    let mut times = Vec::new();
    for n in 0..20 {
        let saved = keyword::ActiveModel {
            term: Set(format!("新增词{n}")),
            risk: Set(risks[0].clone()),
            status: Set(EntryStatus::Draft),
            created_by: Set("bench".to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            dedup_key: Set(Some(format!("new{n}"))),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("keyword");
        revision::ActiveModel {
            entry_kind: Set(EntryKind::Keyword),
            entry_id: Set(saved.id),
            number: Set(1),
            action: Set(RevisionAction::Created),
            actor: Set("bench".to_owned()),
            snapshot: Set("{}".to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .expect("revision");
        let started = Instant::now();
        assert_eq!(indexer.catch_up(&db).await.expect("catch up"), 1);
        times.push(started.elapsed());
    }
    report(
        "replay one change into the 200k index (poll, commit, reload)",
        times,
    );
}
