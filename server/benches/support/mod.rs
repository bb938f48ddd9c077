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

/// A migrated SQLite store in `dir` with the shipped taxonomy loaded.
pub async fn seeded_store(dir: &Path) -> (sea_orm::DatabaseConnection, lexset::taxonomy::Taxonomy) {
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let db = lexset::store::connect_and_migrate(&url)
        .await
        .expect("store");
    let taxonomy = lexset::taxonomy::Taxonomy::shipped().expect("taxonomy");
    lexset::services::taxonomy::load(&db, &taxonomy)
        .await
        .expect("seeds");
    (db, taxonomy)
}

/// Statuses given to filled entries in turn: half approved.
pub const STATUSES: [lexset::domain::status::EntryStatus; 4] = {
    use lexset::domain::status::EntryStatus::{Approved, Draft, Rejected};
    [Approved, Approved, Draft, Rejected]
};

/// Fills `db` in one transaction, in batches of 2 000 rows: `keywords` keywords `term(n)`
/// over the 17 keyword risks, and `questions` questions `text(n)` over every kind, risk and
/// aspect, half high-risk, every 50th a near duplicate of the one before, each with its
/// expected behaviour and both texts; statuses from [`STATUSES`] in turn; a `created`
/// revision for each (ids from 1, as in a fresh store). Returns how long it took.
pub async fn fill_store(
    db: &sea_orm::DatabaseConnection,
    taxonomy: &lexset::taxonomy::Taxonomy,
    keywords: usize,
    term: impl Fn(usize) -> String,
    questions: usize,
    text: impl Fn(usize) -> String,
) -> Duration {
    use lexset::domain::revision::{EntryKind, RevisionAction};
    use lexset::domain::status::{ExpectedBehavior, QuestionKind};
    use lexset::store::entities::{keyword, question, revision};
    use sea_orm::{EntityTrait, Set, TransactionTrait};
    const BATCH: usize = 2_000;
    let risks: Vec<String> = taxonomy.risks.iter().map(|r| r.code.clone()).collect();
    let aspects: Vec<String> = taxonomy.aspects.iter().map(|a| a.code.clone()).collect();
    let now = chrono::Utc::now();
    let started = Instant::now();
    let txn = db.begin().await.expect("transaction");
    for start in (0..keywords).step_by(BATCH) {
        let rows = (start..(start + BATCH).min(keywords)).map(|n| keyword::ActiveModel {
            term: Set(term(n)),
            risk: Set(risks[n % 17].clone()),
            status: Set(STATUSES[n % 4]),
            created_by: Set("bench".to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            dedup_key: Set(Some(format!("k{n}"))),
            ..Default::default()
        });
        keyword::Entity::insert_many(rows)
            .exec(&txn)
            .await
            .expect("keywords");
    }
    for start in (0..questions).step_by(BATCH) {
        let rows = (start..(start + BATCH).min(questions)).map(|n| {
            let kind = QuestionKind::ALL[n % 3];
            let must_not_refuse = kind == QuestionKind::MustNotRefuse;
            // Generation questions expect an answer but every tenth, which expects a refusal.
            let behavior = ExpectedBehavior::of_kind(kind).unwrap_or(if n % 10 == 0 {
                ExpectedBehavior::Refuse
            } else {
                ExpectedBehavior::Answer
            });
            question::ActiveModel {
                text: Set(text(n)),
                kind: Set(kind),
                risk: Set((!must_not_refuse).then(|| risks[n % risks.len()].clone())),
                aspect: Set(must_not_refuse.then(|| aspects[n % aspects.len()].clone())),
                high_risk: Set(n % 2 == 0),
                expected_behavior: Set(Some(behavior)),
                expected_output: Set(Some(format!("预期输出{n}"))),
                judgment_criteria: Set(Some(format!("判定标准{n}"))),
                status: Set(STATUSES[n % 4]),
                created_by: Set("bench".to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
                dedup_key: Set(Some(format!("q{n}"))),
                near_duplicate_of: Set((n % 50 == 49).then(|| (n - 1) as i64)),
                ..Default::default()
            }
        });
        question::Entity::insert_many(rows)
            .exec(&txn)
            .await
            .expect("questions");
    }
    // Each entry's `created` revision: freshness rules walk them newest first.
    for (kind, count) in [
        (EntryKind::Keyword, keywords),
        (EntryKind::Question, questions),
    ] {
        for start in (0..count).step_by(BATCH) {
            let rows = (start..(start + BATCH).min(count)).map(|n| revision::ActiveModel {
                entry_kind: Set(kind),
                entry_id: Set(n as i64 + 1),
                number: Set(1),
                action: Set(RevisionAction::Created),
                actor: Set("bench".to_owned()),
                reason: Set(None),
                snapshot: Set("{}".to_owned()),
                created_at: Set(now),
                ..Default::default()
            });
            revision::Entity::insert_many(rows)
                .exec(&txn)
                .await
                .expect("revisions");
        }
    }
    txn.commit().await.expect("commit");
    started.elapsed()
}

/// Moves what the fill wrote from the WAL into the database file, as SQLite's automatic
/// checkpoints do on a server between requests: timed reads then see the store as a running
/// service has it, not through a WAL of a million fresh pages.
pub async fn checkpoint(db: &sea_orm::DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE);")
        .await
        .expect("checkpoint");
}

/// Everything the services work with, on a fresh SQLite store in `dir` (migrated, seeded).
pub async fn app_state(dir: &Path) -> lexset::services::AppState {
    let settings = lexset::config::Settings::with_data_dir(dir.to_path_buf());
    lexset::startup::app_state(&settings)
        .await
        .expect("the store opens")
}

/// What the matching benches compile: the shipped fold profile and dedup settings, the risk
/// codes, and the lexicon's lines without AND rules (`+`).
pub fn matching_setup(data: &Path) -> (lexset::dedup::Dedup, Vec<String>, Vec<String>) {
    use lexset::dedup::near_duplicates::NearDuplicateConfig;
    let dedup = lexset::dedup::Dedup {
        profile: lexset::fold::FoldProfile::shipped().expect("fold profile"),
        near_duplicates: NearDuplicateConfig::shipped().expect("settings"),
    };
    let risks: Vec<String> = lexset::taxonomy::Taxonomy::shipped()
        .expect("taxonomy")
        .risks
        .iter()
        .map(|r| r.code.clone())
        .collect();
    let base: Vec<String> = lexicon_lines(data)
        .into_iter()
        .filter(|line| !line.contains('+'))
        .collect();
    (dedup, risks, base)
}
