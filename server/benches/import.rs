//! Imports into fresh SQLite stores, each beside the sqlite3 CLI's raw `.import` of the same
//! lines into a bare one-column table, timed in the same run:
//! 1. the whole konsheng lexicon (87 039 lines in 17 files of `../shared/data`), one file at
//!    a time, each file's risk from a mapping of file names;
//! 2. 100 000 keyword rows in one file (the lexicon's lines, then numbered variants of them);
//! 3. 1 000 000 rows made the same way;
//! 4. 100 000 generated test questions in a public set's shape (`ID,问题,违规类型,违规子类`,
//!    the risk's exact name in 违规子类): each of the 1 000 Flames prompts a hundred times,
//!    ending in two lexicon terms; generation questions expecting a refusal, with answer
//!    templates. Each question is also split into words and compared with the stored
//!    questions sharing its near-duplicate bands (its own prompt's other endings).
//!
//! Every import does what the API's does: read, fold, dedup against the store and earlier
//! rows, lint, then write entries and revisions in one transaction.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench import` (needs `sqlite3`);
//! `cargo bench -p lexset --bench import -- questions` runs only the fourth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

mod support;
use support::{app_state, data_dir, flames_prompts, lexicon_lines};

use lexset::domain::status::{EntryStatus, ExpectedBehavior, QuestionKind};
use lexset::domain::text::Actor;
use lexset::messages::Lang;
use lexset::services::imports::{ImportKind, ImportOptions, ImportReport, STAGE_WRITE, import};
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

/// The options of a keyword import of `file_name` with `mapping` or a default risk.
fn keyword_options(
    file_name: Option<String>,
    mapping: HashMap<String, String>,
    default_risk: Option<&str>,
) -> ImportOptions {
    ImportOptions {
        kind: ImportKind::Keyword,
        format: Some(Format::Txt),
        sheet: None,
        default_risk: default_risk.map(str::to_owned),
        mapping,
        file_name,
        question_kind: None,
        default_aspect: None,
        default_behavior: None,
        templates: false,
        status: EntryStatus::Draft,
        dry_run: false,
    }
}

/// Seconds sqlite3's raw `.import` takes to load `lines` into a bare table in `dir`.
fn sqlite3_import(dir: &Path, name: &str, lines: &str) -> (usize, f64) {
    let lines_path = dir.join(format!("{name}.csv"));
    let quoted: String = lines
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("\"{}\"\n", l.replace('"', "\"\"")))
        .collect();
    std::fs::write(&lines_path, &quoted).expect("lines");
    let raw_db = dir.join(format!("{name}.db"));
    let start = Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg(&raw_db)
        .arg("CREATE TABLE t (term TEXT);")
        .arg(format!(".import --csv {} t", lines_path.display()))
        .status()
        .expect("sqlite3 runs");
    assert!(status.success());
    (quoted.lines().count(), start.elapsed().as_secs_f64())
}

/// Imports `rows` generated lines (the lexicon's, then numbered variants) as one file into a
/// fresh store, and the same lines with sqlite3; prints both and their ratio.
async fn generated_import(lexicon: &[String], rows: usize, context: &ChangeContext) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = app_state(dir.path()).await;
    let mut lines = String::new();
    for i in 0..rows {
        let term = &lexicon[i % lexicon.len()];
        lines.push_str(term);
        if i >= lexicon.len() {
            lines.push_str(&(i / lexicon.len()).to_string());
        }
        lines.push('\n');
    }
    let options = keyword_options(None, HashMap::new(), Some("A.1.h"));
    let start = Instant::now();
    // When the write stage began: the check stage is everything before it.
    let writing: Arc<OnceLock<Instant>> = Arc::default();
    let progress = {
        let writing = writing.clone();
        Arc::new(move |stage: &'static str, _: usize, _: usize| {
            if stage == STAGE_WRITE {
                writing.get_or_init(Instant::now);
            }
        })
    };
    let report = import(
        &state,
        context,
        lines.clone().into_bytes(),
        &options,
        Lang::En,
        progress,
    )
    .await
    .expect("import");
    let seconds = start.elapsed().as_secs_f64();
    let check = writing
        .get()
        .map_or(seconds, |at| (*at - start).as_secs_f64());
    let what = format!(
        "{} rows in one file ({check:.2} s reading and checking, then writing)",
        report.rows
    );
    print_beside_sqlite3(&what, &report, seconds, dir.path(), "generated", &lines);
}

/// Prints an import's time and outcome beside sqlite3's `.import` of the same `lines`, loaded
/// into a bare table in `dir` now.
fn print_beside_sqlite3(
    what: &str,
    report: &ImportReport,
    seconds: f64,
    dir: &Path,
    name: &str,
    lines: &str,
) {
    let (raw_rows, raw_seconds) = sqlite3_import(dir, name, lines);
    println!(
        "lexset import of {what}: {seconds:.2} s, {:.0} rows/s; {} accepted, {} duplicates, {} invalid {:?}",
        report.rows as f64 / seconds,
        report.accepted,
        report.duplicates,
        report.invalid,
        report.reasons,
    );
    println!(
        "sqlite3 .import of the same {raw_rows} lines: {raw_seconds:.3} s, {:.0} rows/s; lexset takes {:.1}x its time",
        raw_rows as f64 / raw_seconds,
        seconds / raw_seconds
    );
}

/// Imports `rows` generated questions (see the module's comment) into a fresh store; prints
/// the rows per second and the time sqlite3 takes to load the same lines.
async fn generated_question_import(
    prompts: &[String],
    lexicon: &[String],
    rows: usize,
    context: &ChangeContext,
) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = app_state(dir.path()).await;
    let risk_names: Vec<String> = state
        .taxonomy
        .risks
        .iter()
        .map(|risk| risk.name_zh.clone())
        .collect();
    let cell = |text: &str| text.replace(['\n', '\r', ',', '"'], " ");
    let mut file = String::from("ID,问题,违规类型,违规子类\n");
    for i in 0..rows {
        // A Flames prompt, then two lexicon terms: each prompt a hundred times, with
        // different endings (near duplicates of each other when the prompt is long).
        let prompt = cell(&prompts[i % prompts.len()]);
        let (a, b) = (
            cell(&lexicon[(i * 7) % lexicon.len()]),
            cell(&lexicon[(i * 13 + 5) % lexicon.len()]),
        );
        let risk = &risk_names[i % risk_names.len()];
        file.push_str(&format!("{i},{prompt}（{a}、{b}）,违法违规,{risk}\n"));
    }
    let options = ImportOptions {
        kind: ImportKind::Question,
        format: Some(Format::Csv),
        sheet: None,
        default_risk: None,
        mapping: HashMap::new(),
        file_name: None,
        question_kind: Some(QuestionKind::Generation),
        default_aspect: None,
        default_behavior: Some(ExpectedBehavior::Refuse),
        templates: true,
        status: EntryStatus::Draft,
        dry_run: false,
    };
    let start = Instant::now();
    let report = import(
        &state,
        context,
        file.clone().into_bytes(),
        &options,
        Lang::En,
        Arc::new(|_, _, _| {}),
    )
    .await
    .expect("import");
    let seconds = start.elapsed().as_secs_f64();
    let what = format!(
        "{} generated questions with templates and near-duplicate detection",
        report.rows
    );
    print_beside_sqlite3(&what, &report, seconds, dir.path(), "questions", &file);
}

#[actix_web::main]
async fn main() {
    let data = data_dir();
    let context = ChangeContext {
        actor: Actor::parse("bench").expect("actor"),
        reason: None,
        audit: None,
    };
    if std::env::args().any(|arg| arg == "questions") {
        generated_question_import(
            &flames_prompts(&data),
            &lexicon_lines(&data),
            100_000,
            &context,
        )
        .await;
        return;
    }
    let folder = data.join("konsheng-sensitive-lexicon/Vocabulary");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = app_state(dir.path()).await;
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
        let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let options = keyword_options(file_name, mapping.clone(), None);
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
    let (raw_rows, raw_seconds) = sqlite3_import(dir.path(), "lexicon", &all_lines);
    println!(
        "sqlite3 .import of the same {raw_rows} lines: {raw_seconds:.3} s, {:.0} rows/s; lexset takes {:.1}x its time",
        raw_rows as f64 / raw_seconds,
        seconds / raw_seconds
    );

    let lexicon = lexicon_lines(&data);
    for rows in [100_000, 1_000_000] {
        generated_import(&lexicon, rows, &context).await;
    }
    generated_question_import(&flames_prompts(&data), &lexicon, 100_000, &context).await;
}
