//! Coverage over a large store: 1 000 000 keywords and 100 000 questions in SQLite, spread
//! over every risk, aspect, kind and status; measures gathering the aggregate counts and
//! evaluating the `tc260-003-2024` profile (what `GET /v1/coverage` does per request).
//!
//! Run from the workspace root: `cargo bench -p lexset --bench coverage`
//! (filling the store takes most of the run; the timed part is printed last).

use std::time::{Duration, Instant};

use chrono::Utc;
use lexset::coverage::evaluate::evaluate;
use lexset::coverage::rules::load_profiles;
use lexset::domain::status::{EntryStatus, QuestionKind};
use lexset::services::coverage::aggregates;
use lexset::store::connect_and_migrate;
use lexset::store::entities::{keyword, question};
use lexset::taxonomy::Taxonomy;
use sea_orm::{EntityTrait, Set, TransactionTrait};

const KEYWORDS: usize = 1_000_000;
const QUESTIONS: usize = 100_000;
const BATCH: usize = 2_000;
const STATUSES: [EntryStatus; 4] = [
    EntryStatus::Approved,
    EntryStatus::Approved,
    EntryStatus::Draft,
    EntryStatus::Rejected,
];

#[actix_web::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = connect_and_migrate(&url).await.expect("store");
    let taxonomy = Taxonomy::shipped().expect("taxonomy");
    lexset::services::taxonomy::load(&db, &taxonomy)
        .await
        .expect("seeds");
    let risks: Vec<String> = taxonomy.risks.iter().map(|r| r.code.clone()).collect();
    let aspects: Vec<String> = taxonomy.aspects.iter().map(|a| a.code.clone()).collect();
    let now = Utc::now();

    let fill = Instant::now();
    let txn = db.begin().await.expect("transaction");
    for start in (0..KEYWORDS).step_by(BATCH) {
        let rows = (start..start + BATCH).map(|n| keyword::ActiveModel {
            term: Set(format!("词{n}")),
            risk: Set(risks[n % 17].clone()),
            note: Set(None),
            source: Set(None),
            status: Set(STATUSES[n % 4]),
            created_by: Set("bench".to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            dedup_key: Set(Some(format!("词{n}"))),
            ..Default::default()
        });
        keyword::Entity::insert_many(rows)
            .exec(&txn)
            .await
            .expect("keywords");
    }
    for start in (0..QUESTIONS).step_by(BATCH) {
        let rows = (start..start + BATCH).map(|n| {
            let kind = QuestionKind::ALL[n % 3];
            let must_not_refuse = kind == QuestionKind::MustNotRefuse;
            question::ActiveModel {
                text: Set(format!("问题{n}？")),
                kind: Set(kind),
                risk: Set((!must_not_refuse).then(|| risks[n % risks.len()].clone())),
                aspect: Set(must_not_refuse.then(|| aspects[n % aspects.len()].clone())),
                high_risk: Set(n % 2 == 0),
                expected_output: Set(None),
                judgment_criteria: Set(None),
                status: Set(STATUSES[n % 4]),
                created_by: Set("bench".to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
                dedup_key: Set(Some(format!("{n:064}"))),
                near_duplicate_of: Set((n % 50 == 49).then(|| (n - 1) as i64)),
                ..Default::default()
            }
        });
        question::Entity::insert_many(rows)
            .exec(&txn)
            .await
            .expect("questions");
    }
    txn.commit().await.expect("commit");
    println!(
        "filled {KEYWORDS} keywords and {QUESTIONS} questions in {:.1} s",
        fill.elapsed().as_secs_f64()
    );

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
        let counts = aggregates(&db).await.expect("aggregates");
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
