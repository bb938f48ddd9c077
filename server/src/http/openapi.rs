//! The OpenAPI document, generated from the annotations beside each handler. The committed
//! `openapi/openapi.json` must equal [`spec_json`]; a test enforces it and
//! `lexset openapi > openapi/openapi.json` regenerates it.

use utoipa::OpenApi;

use crate::taxonomy::Taxonomy;

use super::{
    answer_templates, audit, builds, coverage, evaluations, exports, filings, health, imports,
    keywords, lints, question_sets, questions, refusals, reports, search, signing_keys, taxonomy,
    test_runs, tokens, users, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lexset",
        description = "Curates the interception-keyword lexicon (拦截关键词列表) and the \
evaluation test-question sets (评估测试题集) of a Chinese generative-AI filing.\n\n\
Every change of an entry needs `If-Match` with the entry's `ETag` (`428` without it, \
`412` when someone else changed the entry first). Errors share one body: \
`{\"message\", \"code\", \"type\", \"field\"}`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        health::health,
        health::ready,
        health::metrics,
        taxonomy::risks,
        taxonomy::aspects,
        keywords::create,
        keywords::list,
        keywords::get,
        keywords::update,
        keywords::retire,
        keywords::approve,
        keywords::reject,
        keywords::reopen,
        keywords::revisions,
        questions::create,
        questions::list,
        questions::get,
        questions::update,
        questions::retire,
        questions::approve,
        questions::reject,
        questions::reopen,
        questions::revisions,
        answer_templates::list,
        question_sets::create,
        question_sets::list,
        question_sets::get,
        question_sets::members,
        question_sets::diff,
        question_sets::retire,
        refusals::detect,
        refusals::phrases,
        refusals::propose,
        refusals::versions,
        refusals::version,
        refusals::approve,
        refusals::reject,
        test_runs::create,
        test_runs::list,
        test_runs::get,
        test_runs::record_answers,
        test_runs::answers,
        test_runs::judge,
        test_runs::verdict_history,
        test_runs::start_call,
        test_runs::calls,
        test_runs::errors,
        test_runs::report,
        test_runs::compare,
        filings::create,
        filings::list,
        filings::get,
        filings::archive,
        search::search,
        search::similar,
        builds::create,
        builds::list,
        builds::latest,
        builds::events,
        builds::get,
        builds::artifact,
        builds::manifest,
        signing_keys::list,
        builds::diff,
        builds::match_text,
        builds::task,
        evaluations::evaluate,
        evaluations::list,
        evaluations::get,
        imports::create,
        exports::export_file,
        coverage::report,
        coverage::history,
        coverage::profiles,
        lints::rules,
        lints::report,
        reports::duplicates,
        reports::collisions,
        tokens::me,
        tokens::create,
        tokens::list,
        tokens::get,
        audit::list,
        tokens::revoke,
        users::create,
        users::list,
        users::get,
        webhooks::create,
        webhooks::list,
        webhooks::get,
        webhooks::remove,
        webhooks::deliveries,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "keywords", description = "The interception lexicon"),
        (name = "questions", description = "The evaluation test sets"),
        (name = "question-sets", description = "Frozen question sets: chosen by id, filter, stratified sampler (TC260-003 §9.3 / §9.4 presets) or the 登记 composer; members pinned at their revision; what coverage (`set=`), exports (`set=`) and filings point at"),
        (name = "filings", description = "Filing packages: the keyword workbook of a build, the question-set workbooks, the coverage report, the run workbooks and reports, with a manifest of their sha256, in one archive stored as assembled"),
        (name = "test-runs", description = "Putting a frozen question set to the model under filing: runs, their answers (uploaded, each pinned at the set's revision) and refusal detection on them"),
        (name = "search", description = "Full-text search (jieba on folded text) and similar questions"),
        (name = "taxonomy", description = "Risks and aspects from TC260-003"),
        (name = "builds", description = "Compiled, numbered artefacts for filter services; tasks report progress"),
        (name = "webhooks", description = "Receivers each published build is POSTed to (signed, retried), and their delivery logs"),
        (name = "imports", description = "Files as people have them: CSV (UTF-8, BOM, UTF-16, GBK), XLSX, TXT, JSONL"),
        (name = "coverage", description = "Quota gaps against a rule profile; /coverage renders them as bars (with a token, like every route)"),
        (name = "lints", description = "Entry quality rules: errors block approval, warnings are shown"),
        (name = "reports", description = "Dedup reports: near-duplicate questions, keyword collisions"),
        (name = "tokens", description = "API tokens (admin): every route but the probes and the docs needs `Authorization: Bearer <token>`; each token belongs to a user"),
        (name = "users", description = "The people and services tokens belong to (admin); a user's name is the actor of every change made with its tokens, so four eyes compares people, not tokens"),
        (name = "audit", description = "Every authenticated write: who, what, on what, when, outcome (admin)"),
        (name = "health", description = "Probes"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer-token scheme every protected route uses.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document as served: the annotations' document refined by [`super::contract`].
pub fn document() -> serde_json::Value {
    let mut document =
        serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document always serializes");
    let taxonomy = Taxonomy::shipped().expect("the shipped taxonomy parses (tested)");
    super::contract::refine(&mut document, &taxonomy);
    document
}

/// The OpenAPI document as pretty JSON with a trailing newline, as committed.
pub fn spec_json() -> String {
    let mut json =
        serde_json::to_string_pretty(&document()).expect("a JSON value always serializes");
    json.push('\n');
    json
}
