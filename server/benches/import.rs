//! Importing the whole konsheng lexicon (87 039 lines in 17 files of `../shared/data`) into a
//! fresh SQLite store with fold + dedup, one file at a time, each file's risk from a mapping of
//! file names; beside it, the sqlite3 CLI's raw `.import` of the same lines into a bare table.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench import` (needs `sqlite3`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

mod support;
use support::{app_state, data_dir};

use lexset::domain::status::{EntryStatus, QuestionKind};
use lexset::domain::text::Actor;
use lexset::messages::Lang;
use lexset::services::imports::{ImportKind, ImportOptions, import};
use lexset::services::revisions::ChangeContext;
use lexset_importers::table::Format;

/// Which risk each file of the lexicon goes under.
const MAPPING: [(&str, &str); 17] = [
    ("COVID-19词库", "A.1.g"),
    ("GFW补充词库", "A.1.a"),
    ("其他词库", "A.1.h"),
    ("反动词库", "A.1.a"),
    ("广告类型", "A.1.h"),
    ("政治类型", "A.1.b"),
    ("新思想启蒙", "A.1.a"),
    ("暴恐词库", "A.1.d"),
    ("民生词库", "A.1.h"),
    ("涉枪涉爆", "A.1.d"),
    ("网易前端过滤敏感词库", "A.1.h"),
    ("色情类型", "A.1.f"),
    ("色情词库", "A.1.f"),
    ("补充词库", "A.1.h"),
    ("贪腐词库", "A.1.h"),
    ("零时-Tencent", "A.1.h"),
    ("非法网址", "A.1.h"),
];

#[actix_web::main]
async fn main() {
    let folder = data_dir().join("konsheng-sensitive-lexicon/Vocabulary");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = app_state(dir.path()).await;
    let context = ChangeContext {
        actor: Actor::parse("bench").expect("actor"),
        reason: None,
    };
    let mapping: HashMap<String, String> = MAPPING
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();

    let (mut rows, mut accepted, mut duplicates, mut invalid) = (0, 0, 0, 0);
    let mut reasons: HashMap<&str, usize> = HashMap::new();
    let mut all_lines = String::new();
    let start = Instant::now();
    for file in &files {
        let bytes = std::fs::read(file).expect("file");
        all_lines.push_str(&String::from_utf8_lossy(&bytes));
        all_lines.push('\n');
        let options = ImportOptions {
            kind: ImportKind::Keyword,
            format: Some(Format::Txt),
            sheet: None,
            default_risk: None,
            mapping: mapping.clone(),
            file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
            question_kind: QuestionKind::Generation,
            status: EntryStatus::Draft,
            dry_run: false,
        };
        let report = import(
            &state,
            &context,
            bytes,
            &options,
            Lang::En,
            Arc::new(|_, _, _| {}),
        )
        .await
        .expect("import");
        rows += report.rows;
        accepted += report.accepted;
        duplicates += report.duplicates;
        invalid += report.invalid;
        for (reason, count) in report.reasons {
            *reasons.entry(reason).or_default() += count;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "lexset import of {} files, {rows} rows: {seconds:.1} s, {:.0} rows/s; {accepted} accepted, {duplicates} duplicates, {invalid} invalid {reasons:?}",
        files.len(),
        rows as f64 / seconds
    );

    // The same lines, raw, into a bare one-column table.
    let lines_path = dir.path().join("lines.csv");
    let quoted: String = all_lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("\"{}\"\n", l.replace('"', "\"\"")))
        .collect();
    std::fs::write(&lines_path, &quoted).expect("lines");
    let raw_db = dir.path().join("raw.db");
    let start = Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg(&raw_db)
        .arg("CREATE TABLE t (term TEXT);")
        .arg(format!(".import --csv {} t", lines_path.display()))
        .status()
        .expect("sqlite3 runs");
    let raw_seconds = start.elapsed().as_secs_f64();
    assert!(status.success());
    println!(
        "sqlite3 .import of the same {} lines: {raw_seconds:.2} s, {:.0} rows/s",
        quoted.lines().count(),
        quoted.lines().count() as f64 / raw_seconds
    );
}
