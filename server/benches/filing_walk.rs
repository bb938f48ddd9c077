//! The walk of issue 20's "done when", end to end through the services against a stub
//! OpenAI-compatible endpoint, with its figures: a store of 40 000 questions (20 000
//! approved) and 20 000 keywords; a published build; a frozen 登记 set and a §9.4 sample; two
//! model versions asked by model calls (64 requests in flight, 20 ms an answer); a few
//! verdicts recorded; the reports against the `registration` and `tc260-003-2024` profiles;
//! the two versions compared; a filing package assembled and its manifest verified against
//! the archive read back. (The judging page itself is walked by the browser test
//! `a_judge_works_through_a_runs_answers_from_the_keyboard_and_reads_the_rates`.)
//!
//! The stub decides from a tag in each question's text (应拒 / 应答) and the model name:
//! `v1` refuses 97 % of what it should refuse and nothing else; `v2` refuses 92 % of what it
//! should and 1 % of what it should answer — the regression the comparison must show. A judge
//! call (model `judge`) then pre-fills the 合格 of the 登记 v1 run's generation answers.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench filing_walk`.

use std::io::Read;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

mod support;

use lexset::domain::model_call::{CallSettings, RawCallSettings};
use lexset::domain::question_set::SetName;
use lexset::domain::status::{ExpectedBehavior, QuestionKind};
use lexset::domain::test_run::{ModelName, ModelVersion};
use lexset::services::audit::AuditStamp;
use lexset::services::filings::{self, FilingRequest};
use lexset::services::question_sets::{self, NewSet, Recipe, presets};
use lexset::services::test_runs::{self, NewRun};
use lexset::services::verdicts::{self, NewVerdict};
use lexset::services::{AppState, builds, model_calls, run_reports, tasks};
use support::{app_state, fill_store};

const QUESTIONS: usize = 40_000;
const KEYWORDS: usize = 20_000;
const LATENCY: Duration = Duration::from_millis(20);

/// The tag the stub reads: what a good answer to question `n` does, as `fill_store` makes it.
fn tag(n: usize) -> &'static str {
    let kind = QuestionKind::ALL[n % 3];
    let refuse = ExpectedBehavior::of_kind(kind).unwrap_or(if n.is_multiple_of(10) {
        ExpectedBehavior::Refuse
    } else {
        ExpectedBehavior::Answer
    });
    if refuse == ExpectedBehavior::Refuse {
        "应拒"
    } else {
        "应答"
    }
}

/// The stub's answer to `question` from model `model`; a judge call (its prompt starts with
/// 测试题：) gets a verdict: a refusal fails, an answer passes.
fn reply(model: &str, question: &str) -> String {
    if question.starts_with("测试题：") {
        let refused = question.contains("模型回答：抱歉");
        return json!({"refused": refused, "passed": !refused, "reason": "判定模型"}).to_string();
    }
    let n: u64 = question
        .trim_start_matches("问题")
        .split('【')
        .next()
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_default();
    let draw = n.wrapping_mul(2_654_435_761) % 100;
    let should_refuse = question.contains("应拒");
    let refuses = match (model, should_refuse) {
        ("v1", true) => draw < 97,
        ("v1", false) => false,
        (_, true) => draw < 92,
        (_, false) => draw < 1,
    };
    if refuses {
        "抱歉，我无法提供这方面的帮助。".to_owned()
    } else {
        "这个问题可以从法律法规、安全常识和权威资料三个方面理解，下面分别说明要点，并给出可以查阅的公开资料。".to_owned()
    }
}

async fn complete(body: web::Json<Value>) -> HttpResponse {
    tokio::time::sleep(LATENCY).await;
    let model = body["model"].as_str().unwrap_or_default();
    let question = body["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .and_then(|message| message["content"].as_str())
        .unwrap_or_default();
    HttpResponse::Ok().json(json!({
        "choices": [{"message": {"role": "assistant", "content": reply(model, question)},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 40}
    }))
}

async fn until_done(state: &AppState, task: i64) -> Duration {
    let started = Instant::now();
    loop {
        let task = tasks::get(&state.reads, task)
            .await
            .expect("the task reads")
            .expect("the task exists");
        match task.status.as_str() {
            "succeeded" => return started.elapsed(),
            "failed" => panic!("task {} failed: {:?}", task.id, task.error),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".to_owned(), |r| format!("{:.2} %", r * 100.0))
}

#[actix_web::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = app_state(dir.path()).await;
    let taxonomy = state.taxonomy.clone();
    let fill = fill_store(
        &state.db,
        &taxonomy,
        KEYWORDS,
        |n| format!("违禁词{n}"),
        QUESTIONS,
        // Every fifth question names an approved keyword, for the build to intercept.
        |n| {
            let keyword = if n % 5 == 0 {
                "，参见违禁词4"
            } else {
                ""
            };
            format!("问题{n}【{}】{keyword}？", tag(n))
        },
    )
    .await;
    println!(
        "store: {QUESTIONS} questions, {KEYWORDS} keywords in {:.1} s",
        fill.as_secs_f64()
    );
    let audit = AuditStamp::new("walk", None, "bench", "");

    let (build, task) = builds::start(&state.build_environment(), &audit)
        .await
        .expect("a build starts");
    let compiled = until_done(&state, task.id).await;
    println!(
        "build {} published in {:.1} s",
        build.number,
        compiled.as_secs_f64()
    );

    let mut sets = Vec::new();
    for (name, recipe) in [
        (
            "2026-12 登记",
            Recipe::Compose(presets::registration(&taxonomy, 42)),
        ),
        ("2026-12 §9.4", Recipe::Sample(presets::refusal_9_4(42))),
    ] {
        let new = NewSet {
            name: SetName::parse(name).expect("a name"),
            description: None,
            recipe,
        };
        let set = question_sets::create(&state, new, false, &audit)
            .await
            .expect("a set")
            .set
            .expect("stored");
        println!("set {} {name}: {} questions", set.id, set.member_count);
        sets.push(set);
    }

    let stub =
        HttpServer::new(|| App::new().route("/v1/chat/completions", web::post().to(complete)))
            .workers(1)
            .bind("127.0.0.1:0")
            .expect("the stub binds");
    let base_url = format!("http://127.0.0.1:{}/v1", stub.addrs()[0].port());
    let stub = stub.run();
    let stub_handle = stub.handle();
    actix_web::rt::spawn(stub);

    // runs[set][version]
    let mut runs = Vec::new();
    for set in &sets {
        let mut by_version = Vec::new();
        for version in ["v1", "v2"] {
            let new = NewRun {
                set_id: set.id,
                model_name: ModelName::parse("示例模型").expect("a name"),
                model_version: ModelVersion::parse(version).expect("a version"),
                model_endpoint: Some(
                    lexset::domain::test_run::ModelEndpoint::parse("stub on loopback")
                        .expect("text"),
                ),
                build: Some(build.number),
                judges: 1,
            };
            let (run, _) = test_runs::create(&state, new, &audit).await.expect("a run");
            let settings = CallSettings::parse(RawCallSettings {
                base_url: Some(base_url.clone()),
                model: Some(version.to_owned()),
                concurrency: Some(64),
                ..Default::default()
            })
            .expect("settings");
            let (_, task) = model_calls::start(&state, run.id, settings, &audit)
                .await
                .expect("the call starts");
            let took = until_done(&state, task.id).await;
            println!(
                "run {} ({} {version}): {} questions asked in {:.1} s",
                run.id,
                set.name,
                set.member_count,
                took.as_secs_f64()
            );
            by_version.push(run.id);
        }
        runs.push(by_version);
    }

    // A person confirms the first two pre-filled verdicts of the §9.4 v1 run.
    let judged_run = runs[1][0];
    let (answers, _) = test_runs::answers(
        &state.reads,
        judged_run,
        lexset::services::page::PageRequest::parse(Some("2"), None).expect("a page"),
        None,
    )
    .await
    .expect("answers");
    for stored in &answers {
        let verdict = NewVerdict {
            passed: stored.suggestion.passed.unwrap_or(true),
            refused: Some(stored.suggestion.refused),
            reason: Some(lexset::domain::text::Reason::parse("人工复核：同意").expect("a reason")),
        };
        verdicts::record(
            &state,
            (judged_run, stored.answer.question_id),
            verdict,
            &audit,
        )
        .await
        .expect("a verdict");
    }
    // A judge model judges the 登记 v1 run's answers.
    let settings = CallSettings::parse(RawCallSettings {
        purpose: Some("judge".to_owned()),
        base_url: Some(base_url.clone()),
        model: Some("judge".to_owned()),
        concurrency: Some(64),
        ..Default::default()
    })
    .expect("settings");
    let (_, task) = model_calls::start(&state, runs[0][0], settings, &audit)
        .await
        .expect("the judge call starts");
    let took = until_done(&state, task.id).await;
    println!(
        "judge call on run {}: {:.1} s",
        runs[0][0],
        took.as_secs_f64()
    );

    for (set, profile) in [(0, "registration"), (1, "tc260-003-2024")] {
        for (version, &run) in ["v1", "v2"].iter().zip(&runs[set]) {
            let report = run_reports::of_run(&state, run, profile)
                .await
                .expect("a report");
            let o = &report.overall;
            println!(
                "report run {run} ({} {version}, {profile}): answered {}/{}, refused {} ({}), 合格 {} / 不合格 {} / undetermined {} ({}), judged {}, questions intercepted {}, answers intercepted {}; passed: {}",
                sets[set].name,
                o.answered,
                o.questions,
                o.refused,
                percent(o.refusal_rate),
                o.passed,
                o.failed,
                o.undetermined,
                percent(o.pass_rate),
                o.judged,
                o.questions_intercepted.unwrap_or_default(),
                o.answers_intercepted.unwrap_or_default(),
                report.passed
            );
            for rule in report.rules.iter().filter(|r| r.questions > 0) {
                println!(
                    "  {} {}: sample {} count {} rate {} → {:?}",
                    rule.id,
                    rule.citation,
                    rule.sample,
                    rule.count,
                    percent(rule.rate),
                    rule.status
                );
            }
        }
    }
    let comparison = run_reports::compare(&state, (runs[1][0], runs[1][1]), "tc260-003-2024")
        .await
        .expect("a comparison");
    println!(
        "compare §9.4 v1 → v2: {} regressed, {} improved, {} unchanged",
        comparison.changes.regressed.len(),
        comparison.changes.improved.len(),
        comparison.changes.unchanged
    );

    let started = Instant::now();
    let filing = filings::assemble(
        &state,
        FilingRequest {
            build: build.number,
            sets: sets.iter().map(|s| s.id).collect(),
            runs: vec![runs[0][0], runs[1][0]],
            profile: "tc260-003-2024".to_owned(),
        },
        &audit,
    )
    .await
    .expect("a filing package");
    let assembled = started.elapsed();
    let stored = filings::get(&state.reads, filing.id).await.expect("stored");
    let manifest = filings::manifest_of(&stored).expect("a manifest");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(stored.archive.clone())).expect("zip");
    let mut verified = 0;
    for listed in &manifest.files {
        let mut bytes = Vec::new();
        zip.by_name(&listed.name)
            .expect("listed file in the archive")
            .read_to_end(&mut bytes)
            .expect("readable");
        assert_eq!(
            lexset_filter::checksum::sha256_hex(&bytes),
            listed.sha256,
            "{}",
            listed.name
        );
        assert_eq!(bytes.len() as u64, listed.size);
        verified += 1;
    }
    assert_eq!(
        zip.len(),
        verified + 1,
        "the manifest and the files it lists"
    );
    println!(
        "filing {}: {} files + manifest.json, {} bytes, sha256 {}, assembled in {:.1} s; every file verified against the manifest; build {} artefact {}",
        filing.id,
        verified,
        stored.size,
        stored.sha256,
        assembled.as_secs_f64(),
        manifest.build.number,
        manifest.build.artifact_sha256
    );
    stub_handle.stop(false).await;
}
