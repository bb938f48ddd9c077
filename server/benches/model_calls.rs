//! A model call of 10 000 questions against a stub OpenAI-compatible endpoint at 64 requests
//! in flight: how much of the call's wall time is lexset's own.
//!
//! The stub (in this process, one actix worker thread) answers every request after exactly
//! `LATENCY` with a 300-character answer. With 64 in flight, a call that added nothing would
//! take ⌈10 000 / 64⌉ × `LATENCY`; lexset's overhead is the wall time beyond that — sending,
//! parsing, refusal detection, recording the answers in batches with the task's progress —
//! as a share of the wall time. The stub's own work counts against lexset here, so the
//! figure is an upper bound.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench model_calls`.

use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};

mod support;

use lexset::domain::model_call::{CallSettings, RawCallSettings};
use lexset::domain::question_set::SetName;
use lexset::domain::test_run::{ModelName, ModelVersion};
use lexset::services::audit::AuditStamp;
use lexset::services::question_sets::{self, NewSet, Pool, Recipe};
use lexset::services::test_runs::{self, NewRun};
use lexset::services::{model_calls, tasks};
use support::{app_state, fill_store};

/// Questions in the store; half are approved, and the set takes those.
const STORED: usize = 20_000;
const CONCURRENCY: u32 = 64;
const LATENCY: Duration = Duration::from_millis(100);

async fn complete(answer: web::Data<String>) -> HttpResponse {
    tokio::time::sleep(LATENCY).await;
    HttpResponse::Ok()
        .content_type("application/json")
        .body(answer.get_ref().clone())
}

#[actix_web::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let state = app_state(dir.path()).await;
    let taxonomy = state.taxonomy.clone();
    fill_store(
        &state.db,
        &taxonomy,
        0,
        |_| String::new(),
        STORED,
        |n| format!("第{n}题：请谈谈你对网络安全的看法？"),
    )
    .await;
    let audit = AuditStamp::new("bench", None, "bench", "");
    let set = question_sets::create(
        &state,
        NewSet {
            name: SetName::parse("调用基准").expect("a name"),
            description: None,
            recipe: Recipe::Filter {
                pool: Pool::default(),
            },
        },
        false,
        &audit,
    )
    .await
    .expect("a set of the approved questions")
    .set
    .expect("stored");
    let questions = set.member_count as usize;
    assert_eq!(questions, STORED / 2, "the set holds the approved half");
    let (run, _) = test_runs::create(
        &state,
        NewRun {
            set_id: set.id,
            model_name: ModelName::parse("stub").expect("a name"),
            model_version: ModelVersion::parse("v1").expect("a version"),
            model_endpoint: None,
            build: None,
            judges: 1,
        },
        &audit,
    )
    .await
    .expect("a run");

    let text: String = "这是一个关于网络安全的回答，".repeat(22);
    let body = serde_json::json!({
        "id": "chatcmpl-bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 300}
    })
    .to_string();
    let answer = web::Data::new(body);
    let stub = HttpServer::new(move || {
        App::new()
            .app_data(answer.clone())
            .route("/v1/chat/completions", web::post().to(complete))
    })
    .workers(1)
    .max_connection_rate(1024)
    .bind("127.0.0.1:0")
    .expect("the stub binds");
    let base_url = format!("http://127.0.0.1:{}/v1", stub.addrs()[0].port());
    let stub = stub.run();
    let stub_handle = stub.handle();
    actix_web::rt::spawn(stub);

    let settings = CallSettings::parse(RawCallSettings {
        base_url: Some(base_url),
        model: Some("stub".to_owned()),
        concurrency: Some(i64::from(CONCURRENCY)),
        timeout_ms: Some(30_000),
        ..Default::default()
    })
    .expect("valid settings");
    let started = Instant::now();
    let (_, task) = model_calls::start(&state, run.id, settings, &audit)
        .await
        .expect("the call starts");
    let task = loop {
        let task = tasks::get(&state.reads, task.id)
            .await
            .expect("the task reads")
            .expect("the task exists");
        if task.status == "succeeded" || task.status == "failed" {
            break task;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let wall = started.elapsed();
    assert_eq!(task.status, "succeeded", "{:?}", task.error);
    let (_, counts) = test_runs::with_counts(&state.reads, run.id)
        .await
        .expect("counts");
    assert_eq!(
        counts.answered as usize, questions,
        "every question answered"
    );
    let rounds = questions.div_ceil(CONCURRENCY as usize) as u32;
    let floor = LATENCY * rounds;
    let overhead = wall.saturating_sub(floor);
    println!(
        "{questions} questions, {CONCURRENCY} in flight, stub latency {} ms: wall {:.2} s, \
         floor {:.2} s ({rounds} rounds), lexset overhead {:.2} s = {:.1} % of wall \
         ({:.0} answers/s)",
        LATENCY.as_millis(),
        wall.as_secs_f64(),
        floor.as_secs_f64(),
        overhead.as_secs_f64(),
        100.0 * overhead.as_secs_f64() / wall.as_secs_f64(),
        questions as f64 / wall.as_secs_f64(),
    );
    stub_handle.stop(false).await;
}
