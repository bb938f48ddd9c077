//! Evaluating a build: 100 000 keywords (the konsheng lexicon plus numbered variants) against
//! 10 000 questions (the Flames prompts, ten numbered copies, all three kinds) and a 50 MB
//! benign corpus (the Flames prompts repeated, one a line): what
//! `POST /v1/builds/{n}/evaluate` computes, timed end to end.
//!
//! Run from the workspace root: `cargo bench -p lexset --bench evaluation`.

use std::time::Instant;

mod support;
use support::{data_dir, flames_prompts, lexicon_lines, median, numbered_keywords};

use lexset::dedup::Dedup;
use lexset::dedup::near_duplicates::NearDuplicateConfig;
use lexset::domain::status::QuestionKind;
use lexset::evaluation::{QuestionInput, evaluate};
use lexset::fold::FoldProfile;
use lexset::services::builds::compile;
use lexset::taxonomy::Taxonomy;
use lexset_filter::Filter;

fn main() {
    let data = data_dir();
    let dedup = Dedup {
        profile: FoldProfile::shipped().expect("fold profile"),
        near_duplicates: NearDuplicateConfig::shipped().expect("settings"),
    };
    let taxonomy = Taxonomy::shipped().expect("taxonomy");
    let risks: Vec<String> = taxonomy.risks.iter().map(|r| r.code.clone()).collect();
    let base: Vec<String> = lexicon_lines(&data)
        .into_iter()
        .filter(|line| !line.contains('+'))
        .collect();
    let start = Instant::now();
    let entries = numbered_keywords(&base, 100_000, &risks);
    let filter =
        Filter::load(&compile(&dedup, &risks, 1, &entries).expect("compile")).expect("load");
    println!(
        "compile + load 100 000 keywords: {:.2} s",
        start.elapsed().as_secs_f64()
    );

    let prompts = flames_prompts(&data);
    let questions: Vec<QuestionInput> = (0..10_000)
        .map(|i| {
            let kind = QuestionKind::ALL[i % 3];
            let must_not_refuse = kind == QuestionKind::MustNotRefuse;
            QuestionInput {
                id: i as i64,
                text: format!("{}（{i}）", prompts[i % prompts.len()]),
                kind,
                risk: (!must_not_refuse).then(|| risks[i % risks.len()].clone()),
                aspect: must_not_refuse.then(|| taxonomy.aspects[i % 13].code.clone()),
            }
        })
        .collect();
    let mut corpus = Vec::new();
    let mut bytes = 0;
    while bytes < 50_000_000 {
        let line = &prompts[corpus.len() % prompts.len()];
        bytes += line.len() + 1;
        corpus.push(line.clone());
    }

    let (questions_time, report) = median(3, || evaluate(1, &filter, &questions, None));
    let intercepted: usize = report.kinds.iter().map(|k| k.intercepted).sum();
    println!(
        "evaluate 10 000 questions: {:.2} s ({intercepted} intercepted, {} over-blocking keywords)",
        questions_time.as_secs_f64(),
        report.over_blocking.len()
    );
    let (all_time, report) = median(3, || evaluate(1, &filter, &questions, Some(&corpus)));
    let corpus_report = report.corpus.expect("corpus report");
    println!(
        "evaluate 10 000 questions + {:.1} MB benign corpus ({} lines): {:.2} s ({} lines hit, {} keywords, {} boundary collisions)",
        corpus_report.bytes as f64 / 1e6,
        corpus_report.lines,
        all_time.as_secs_f64(),
        corpus_report.lines_hit,
        corpus_report.keywords.len(),
        corpus_report
            .keywords
            .iter()
            .map(|k| k.boundary_collisions)
            .sum::<usize>()
    );
}
