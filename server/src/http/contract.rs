//! What the OpenAPI document says beyond the annotations beside each handler, so that it states
//! exactly what the server accepts and answers (clients are generated from it; schemathesis in
//! CI holds the server to it):
//!
//! - answers that come from what runs before a handler: `401` on every protected route and
//!   `403` where a role above `reader` is needed (from [`RULES`]), `400` wherever a parameter
//!   or body is parsed, `404` wherever a path holds an id, `413` and `415` wherever a JSON body
//!   is read;
//! - the exact rules of request fields: text bounds and the characters the domain accepts,
//!   closed sets as `enum`s (risk and aspect codes from the taxonomy), number ranges, list and
//!   cursor syntax, the `If-Match` syntax, and which question fields go with which kind.
//!
//! Each rule is stated once here and applied to every operation and schema it concerns. A
//! field that passes these rules can still be refused for what it means (a term that folds to
//! nothing, an edit that would leave a question without its risk): that is `422`, documented
//! on every operation with a body or parameters.

use serde_json::{Map, Value, json};

use super::access::{Access, RULES};
use super::{builds, refusals, reports, search};
use crate::domain::http_url::{HTTP_URL_PATTERN, HTTP_URL_WITH_QUERY_PATTERN};
use crate::domain::keyword::KeywordTerm;
use crate::domain::model_call::{
    CallPurpose, CallSettings, KEY_VARIABLE_PATTERN, ModelId, SystemPrompt,
};
use crate::domain::question::{ExpectedOutput, JudgmentCriteria, QuestionText};
use crate::domain::question_set::{SetDescription, SetName};
use crate::domain::role::Role;
use crate::domain::test_run::{ModelEndpoint, ModelName, ModelVersion};
use crate::domain::text::{Actor, Lines, Note, Reason, Source, TokenName};
use crate::domain::user::UserName;
use crate::domain::webhook::WebhookUrl;
use crate::lint::RULES as LINT_RULES;
use crate::sampling::Stratum;
use crate::services::exports::ExportName;
use crate::services::exports::XLSX;
use crate::services::page;
use crate::services::question_sets;
use crate::services::verdicts::JudgmentState;
use crate::taxonomy::Taxonomy;
use lexset_importers::table::Format;

/// Characters `char::is_whitespace` trims from both ends of a text field.
const WHITESPACE: &str =
    r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (`char::is_control`), refused inside any text field.
const CONTROLS: &str = r"\u0000-\u001f\u007f-\u009f";
/// Control characters refused inside multi-line fields, which keep tabs and line breaks.
const MULTI_LINE_CONTROLS: &str = r"\u0000-\u0008\u000b-\u001f\u007f-\u009f";

/// The pattern of a bounded text field (`domain::text::parse_bounded`): something besides
/// whitespace, and no control characters once the ends are trimmed (multi-line fields keep
/// tabs and line breaks, `\r\n` included).
fn text_pattern(lines: Lines) -> String {
    let edge = format!("[^{CONTROLS}{WHITESPACE}]");
    let inner = match lines {
        Lines::Multi => format!(r"(?:[^{MULTI_LINE_CONTROLS}]|\r\n)"),
        Lines::Single => format!("[^{CONTROLS}]"),
    };
    format!("^[{WHITESPACE}]*{edge}(?:{inner}*{edge})?[{WHITESPACE}]*$")
}

fn text(max: usize, lines: Lines) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": text_pattern(lines)})
}

/// The schema of a bounded text field of the domain, from its own limit and line rule.
macro_rules! text_of {
    ($field:ty) => {
        text(<$field>::MAX_CHARS, <$field>::LINES)
    };
}

fn integer_within((minimum, maximum): (u32, u32)) -> Value {
    json!({"type": "integer", "minimum": minimum, "maximum": maximum})
}

fn number_within((minimum, maximum): (f64, f64)) -> Value {
    json!({"type": "number", "minimum": minimum, "maximum": maximum})
}

fn one_of_names(names: &[&str]) -> Value {
    json!({"type": "string", "enum": names})
}

/// An array of `items` (an absent field is an empty array).
fn array_of(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

/// A comma-separated list of statuses (spaces around names allowed).
fn status_list(names: &[&str]) -> Value {
    let name = format!("({})", names.join("|"));
    json!({
        "type": "string",
        "pattern": format!("^ *{name} *(, *{name} *)*$"),
    })
}

/// A page size: a whole number from 1 to `maximum`.
fn limit(maximum: u64) -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": maximum})
}

const KEYWORD_KINDS: [&str; 3] = ["block", "allow", "all_of"];
const QUESTION_KINDS: [&str; 3] = ["generation", "must_refuse", "must_not_refuse"];
const BEHAVIORS: [&str; 2] = ["refuse", "answer"];
const ALL_STATUSES: [&str; 4] = ["draft", "approved", "rejected", "retired"];
const COUNTED_STATUSES: [&str; 3] = ["draft", "approved", "rejected"];

/// The risk and aspect codes of the taxonomy, as `enum` schemas.
struct Codes {
    risks: Value,
    aspects: Value,
    /// Aspect codes and the Chinese names files use.
    aspect_names: Value,
}

impl Codes {
    fn of(taxonomy: &Taxonomy) -> Self {
        let risks: Vec<&str> = taxonomy.risks.iter().map(|r| r.code.as_str()).collect();
        let aspects: Vec<&str> = taxonomy.aspects.iter().map(|a| a.code.as_str()).collect();
        let names = taxonomy.aspects.iter().map(|a| a.name_zh.as_str());
        let aspect_names: Vec<&str> = aspects.iter().copied().chain(names).collect();
        Self {
            risks: one_of_names(&risks),
            aspects: one_of_names(&aspects),
            aspect_names: one_of_names(&aspect_names),
        }
    }
}

/// The schema of query parameter `name` of the operation on `path`.
fn query_parameter(path: &str, name: &str, codes: &Codes) -> Option<Value> {
    Some(match (path, name) {
        ("/v1/search" | "/v1/questions/{id}/similar", "limit") => limit(search::MAX_LIMIT as u64),
        ("/v1/reports/collisions", "limit") => limit(reports::MAX_COLLISION_ROWS as u64),
        (_, "limit") => limit(page::MAX_LIMIT),
        ("/v1/search", "cursor") => {
            json!({"type": "string", "pattern": "^offset:0*([0-9]{1,4}|10000)$"})
        }
        (_, "cursor") => json!({"type": "string", "pattern": "^id:0*[0-9]{1,18}$"}),
        ("/v1/keywords", "kind") => one_of_names(&KEYWORD_KINDS),
        ("/v1/questions" | "/v1/exports/{file}", "kind") => one_of_names(&QUESTION_KINDS),
        ("/v1/search", "kind") => one_of_names(&[
            "keyword",
            "question",
            "block",
            "allow",
            "all_of",
            "generation",
            "must_refuse",
            "must_not_refuse",
        ]),
        ("/v1/imports" | "/v1/reports/lints", "kind") => one_of_names(&["keyword", "question"]),
        ("/v1/reports/duplicates", "kind") => one_of_names(&["question"]),
        ("/v1/keywords" | "/v1/questions", "status") => one_of_names(&ALL_STATUSES),
        ("/v1/search" | "/v1/questions/{id}/similar", "status") => status_list(&ALL_STATUSES),
        ("/v1/coverage" | "/v1/exports/{file}", "status") => status_list(&COUNTED_STATUSES),
        ("/v1/imports", "status") => one_of_names(&["draft", "approved"]),
        ("/v1/imports", "risk") => return None,
        ("/v1/imports", "aspect") => codes.aspect_names.clone(),
        ("/v1/imports", "behavior") => one_of_names(&BEHAVIORS),
        (_, "risk") => codes.risks.clone(),
        (_, "aspect") => codes.aspects.clone(),
        ("/v1/keywords", "prefix") => text_of!(KeywordTerm),
        ("/v1/questions", "prefix") => text_of!(QuestionText),
        ("/v1/audit", "actor") => text_of!(Actor),
        ("/v1/audit", "since" | "until") => json!({"type": "string", "format": "date-time"}),
        ("/v1/search", "q") => {
            json!({"type": "string", "minLength": 1, "maxLength": search::MAX_QUERY_CHARS})
        }
        ("/v1/coverage" | "/v1/test-runs/{id}/report", "format") => {
            one_of_names(&["json", "csv", "xlsx"])
        }
        ("/v1/builds/{number}/evaluations/{id}", "format") => one_of_names(&["json", "xlsx"]),
        ("/v1/imports" | "/v1/test-runs/{id}/answers", "format") => {
            one_of_names(&Format::NAMES.map(|(name, _)| name))
        }
        ("/v1/imports", "question_kind") => one_of_names(&QUESTION_KINDS),
        ("/v1/test-runs/{id}/answers", "judgment") => {
            one_of_names(&JudgmentState::ALL.map(JudgmentState::as_str))
        }
        ("/v1/reports/lints", "rule") => {
            one_of_names(&LINT_RULES.iter().map(|rule| rule.id).collect::<Vec<_>>())
        }
        ("/v1/reports/lints", "severity") => one_of_names(&["error", "warning"]),
        ("/v1/reports/duplicates", "threshold") => {
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 1})
        }
        (_, "high_risk" | "dry_run" | "templates" | "include_retired") => {
            json!({"type": "boolean"})
        }
        ("/v1/exports/{file}", "build") | (_, "set") => {
            json!({"type": "integer", "format": "int64"})
        }
        _ => return None,
    })
}

/// The schema of property `name` of request body schema `schema`, and whether `null` is
/// allowed too (an optional field left unset, or an optional value cleared).
fn body_property(schema: &str, name: &str, codes: &Codes) -> Option<(Value, bool)> {
    let (value, nullable) = match (schema, name) {
        ("KeywordCreate" | "KeywordPatch", "term") => (text_of!(KeywordTerm), false),
        ("KeywordCreate", "kind") => (one_of_names(&KEYWORD_KINDS), true),
        ("KeywordPatch", "kind") => (one_of_names(&KEYWORD_KINDS), false),
        ("KeywordCreate" | "KeywordPatch", "risk") => (codes.risks.clone(), false),
        ("KeywordCreate" | "KeywordPatch", "note") => (text_of!(Note), true),
        ("KeywordCreate" | "KeywordPatch", "source") => (text_of!(Source), true),
        ("QuestionCreate" | "QuestionPatch", "text") => (text_of!(QuestionText), false),
        ("QuestionCreate" | "QuestionPatch", "kind") => (one_of_names(&QUESTION_KINDS), false),
        ("QuestionCreate" | "QuestionPatch", "risk") => (codes.risks.clone(), true),
        ("QuestionCreate" | "QuestionPatch", "aspect") => (codes.aspects.clone(), true),
        ("QuestionCreate" | "QuestionPatch", "expected_output") => (text_of!(ExpectedOutput), true),
        ("QuestionCreate" | "QuestionPatch", "judgment_criteria") => {
            (text_of!(JudgmentCriteria), true)
        }
        ("QuestionCreate" | "QuestionPatch", "high_risk") => (json!({"type": "boolean"}), true),
        ("QuestionCreate" | "QuestionPatch", "expected_behavior") => {
            (one_of_names(&BEHAVIORS), true)
        }
        ("QuestionCreate", "templates") | ("QuestionPatch", "confirm_template") => {
            (json!({"type": "boolean"}), true)
        }
        ("PhrasesReject", "reason") => (text_of!(Reason), false),
        (_, "reason") => (text_of!(Reason), true),
        ("PhrasesCreate", "text") => (json!({"type": "string"}), false),
        ("TokenCreate", "user") | ("UserCreate", "name") => (text_of!(UserName), false),
        ("TokenCreate", "name") => (text_of!(TokenName), true),
        ("TokenCreate", "role") => (one_of_names(&Role::ALL.map(Role::as_str)), false),
        ("TokenCreate", "expires_at") => (json!({"type": "string", "format": "date-time"}), true),
        ("MatchRequest", "text") => (
            json!({"type": "string", "maxLength": builds::MAX_MATCH_CHARS}),
            false,
        ),
        ("RunCreate", "set") => (json!({"type": "integer", "format": "int64"}), false),
        ("RunCreate", "build") => (json!({"type": "integer", "format": "int64"}), true),
        ("RunCreate", "model_name") => (text_of!(ModelName), false),
        ("RunCreate", "model_version") => (text_of!(ModelVersion), false),
        ("RunCreate", "model_endpoint") => (text_of!(ModelEndpoint), true),
        ("RunCreate", "judges") => (integer_within((1, 2)), true),
        ("FilingCreate", "build") => (json!({"type": "integer", "format": "int64"}), false),
        ("FilingCreate", "sets" | "runs") => (
            array_of(json!({"type": "integer", "format": "int64"})),
            true,
        ),
        ("VerdictCreate", "passed") => (json!({"type": "boolean"}), false),
        ("VerdictCreate", "refused") => (json!({"type": "boolean"}), true),
        ("CallCreate", "purpose") => (
            one_of_names(&CallPurpose::ALL.map(CallPurpose::as_str)),
            true,
        ),
        ("CallCreate", "base_url") => (
            json!({"type": "string", "maxLength": CallSettings::MAX_BASE_URL_CHARS,
                   "pattern": HTTP_URL_PATTERN}),
            false,
        ),
        ("CallCreate", "model") => (text_of!(ModelId), false),
        ("WebhookCreate", "url") => (
            json!({"type": "string", "maxLength": WebhookUrl::MAX_CHARS,
                   "pattern": HTTP_URL_WITH_QUERY_PATTERN}),
            false,
        ),
        ("CallCreate", "api_key_env") => (
            json!({"type": "string", "pattern": KEY_VARIABLE_PATTERN}),
            true,
        ),
        ("CallCreate", "system_prompt") => (text_of!(SystemPrompt), true),
        ("CallCreate", "temperature") => (number_within(CallSettings::TEMPERATURE), true),
        ("CallCreate", "requests_per_second") => {
            (number_within(CallSettings::REQUESTS_PER_SECOND), true)
        }
        ("CallCreate", "max_tokens") => (integer_within(CallSettings::MAX_TOKENS), true),
        ("CallCreate", "concurrency") => (integer_within(CallSettings::CONCURRENCY), true),
        ("CallCreate", "timeout_ms") => (integer_within(CallSettings::TIMEOUT_MS), true),
        ("CallCreate", "max_retries") => (integer_within(CallSettings::MAX_RETRIES), true),
        ("CallCreate", "backoff_ms") => (integer_within(CallSettings::BACKOFF_MS), true),
        ("RefusalDetectionRequest", "answers") => (
            json!({"type": "array", "items": {"type": "string"}, "maxItems": refusals::MAX_ANSWERS}),
            false,
        ),
        ("EvaluateRequest", "status") => (status_list(&COUNTED_STATUSES), true),
        ("SetCreate", "name") => (text_of!(SetName), false),
        ("SetCreate", "description") => (text_of!(SetDescription), true),
        ("SetCreate", "method") => (one_of_names(&question_sets::METHODS), true),
        ("SetCreate", "preset") => (one_of_names(&question_sets::PRESETS), true),
        ("SetCreate", "stratify_by") => (one_of_names(&Stratum::ALL.map(Stratum::as_str)), true),
        ("PoolRequest", "kinds") => (array_of(one_of_names(&QUESTION_KINDS)), false),
        ("PoolRequest", "behaviors") => (array_of(one_of_names(&BEHAVIORS)), false),
        ("PoolRequest", "aspects") => (array_of(codes.aspects.clone()), false),
        ("EvaluateRequest", "corpus") => (json!({"type": "string"}), true),
        ("EvaluateRequest", "corpus_format") => (one_of_names(&["text", "jsonl"]), true),
        _ => return None,
    };
    Some((value, nullable))
}

/// `If-Match`: `*` or a list of entity tags (commas cannot occur inside a tag).
const IF_MATCH: &str = r#"^[ \t]*(\*|(W/)?"[\u0021\u0023-\u002b\u002d-\u007e]*"([ \t]*,[ \t]*(W/)?"[\u0021\u0023-\u002b\u002d-\u007e]*")*)[ \t]*$"#;

/// Refines the generated document in place; see the module documentation.
pub fn refine(document: &mut Value, taxonomy: &Taxonomy) {
    let codes = Codes::of(taxonomy);
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                refine_operation(path, &method.to_ascii_uppercase(), operation, &codes);
            }
        }
    }
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            refine_body_schema(name, schema, &codes);
        }
        if let Some(question) = schemas.get_mut("QuestionCreate") {
            classify_question(question);
        }
        // A set is chosen by a method or a preset (`RecipeRequest::recipe`).
        if let Some(set) = schemas.get_mut("SetCreate") {
            set["anyOf"] = json!([
                {"required": ["method"], "properties": {"method": {"type": "string"}}},
                {"required": ["preset"], "properties": {"preset": {"type": "string"}}},
            ]);
        }
    }
}

fn refine_operation(path: &str, method: &str, operation: &mut Value, codes: &Codes) {
    let rule = RULES
        .iter()
        .find(|rule| rule.path == path && rule.method == method);
    let mut parameters_parsed = false;
    let mut has_path_id = false;
    if let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    {
        for parameter in parameters.iter_mut() {
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            match parameter["in"].as_str() {
                Some("query") => {
                    parameters_parsed = true;
                    if let Some(schema) = query_parameter(path, &name, codes) {
                        parameter["schema"] = schema;
                    }
                    if path == "/v1/search" && name == "q" {
                        parameter["required"] = Value::Bool(true);
                    }
                }
                Some("header") if name == "If-Match" => {
                    parameters_parsed = true;
                    parameter["schema"] = json!({"type": "string", "pattern": IF_MATCH});
                }
                Some("path") => {
                    has_path_id = true;
                    if path == "/v1/exports/{file}" {
                        parameter["schema"] =
                            one_of_names(&ExportName::ALL.map(ExportName::as_str));
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(content) = file_answers(path) {
        operation["responses"]["200"]["content"] = content;
    }
    if path == "/v1/imports" || (path == "/v1/test-runs/{id}/answers" && method == "POST") {
        operation["requestBody"] = json!({
            "description": "The file: a `file` part of a form, or the whole body",
            "required": true,
            "content": {
                "multipart/form-data": {"schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": false,
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        });
    }
    let json_body = operation
        .pointer("/requestBody/content/application~1json")
        .is_some();
    let has_body = operation.get("requestBody").is_some();
    if path.ends_with("/reject") {
        // A rejection says why: the body and its `reason` are required.
        operation["requestBody"] = json!({
            "description": "Why, kept in the revision",
            "required": true,
            "content": {"application/json": {"schema": {
                "allOf": [{"$ref": "#/components/schemas/ReasonRequest"}],
                "required": ["reason"],
                "properties": {"reason": text_of!(Reason)},
            }}},
        });
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if parameters_parsed || has_body {
        add_response(
            responses,
            "400",
            "A parameter or the body does not parse (`invalid_<field>`, `invalid_query`, `malformed_json`, `invalid_body`)",
        );
        add_response(
            responses,
            "422",
            "Well-formed, but refused for what it means (`invalid_<field>` naming the field)",
        );
    }
    if matches!(
        path,
        "/v1/builds/{number}/match" | "/v1/builds/{from}/diff/{to}" | "/v1/exports/{file}"
    ) {
        add_response(
            responses,
            "409",
            "The build is not published (yet): `build_not_published`",
        );
    }
    if has_path_id {
        add_response(
            responses,
            "404",
            "Nothing has this id (or the path does not parse)",
        );
    }
    if json_body {
        add_response(
            responses,
            "413",
            "The body is larger than this route accepts (`payload_too_large`)",
        );
        add_response(
            responses,
            "415",
            "The body is not `application/json` (`unsupported_media_type`)",
        );
    }
    match rule.map(|rule| rule.access) {
        Some(Access::AtLeast(role)) => {
            add_response(
                responses,
                "401",
                "No valid token: `missing_token`, `invalid_token`, `token_revoked` or `token_expired` (with `WWW-Authenticate: Bearer`)",
            );
            if role > Role::Reader {
                let text = format!(
                    "The token's role is below `{}` (`forbidden`)",
                    role.as_str()
                );
                add_response(responses, "403", &text);
            }
        }
        Some(Access::Public) => {
            operation["security"] = json!([]);
        }
        None => {}
    }
}

/// The content types of routes that answer files as well as (or instead of) JSON.
fn file_answers(path: &str) -> Option<Value> {
    let file = json!({"schema": {"type": "string", "format": "binary"}});
    match path {
        "/v1/coverage" => Some(json!({
            "application/json": {"schema": {"$ref": "#/components/schemas/CoverageReport"}},
            "text/csv": file,
            (XLSX): file,
        })),
        "/v1/exports/{file}" => Some(json!({"text/csv": file, (XLSX): file})),
        "/v1/filings/{id}/archive" => Some(json!({"application/zip": file})),
        "/v1/test-runs/{id}/report" => Some(json!({
            "application/json": {"schema": {"$ref": "#/components/schemas/RunReport"}},
            "text/csv": file,
            (XLSX): file,
        })),
        "/v1/builds/{number}/evaluations/{id}" => Some(json!({
            "application/json": {"schema": {"$ref": "#/components/schemas/EvaluationView"}},
            (XLSX): file,
        })),
        _ => None,
    }
}

/// Adds an error answer `status` unless the handler's annotation documents it already.
fn add_response(responses: &mut Map<String, Value>, status: &str, description: &str) {
    responses.entry(status).or_insert_with(|| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        })
    });
}

fn refine_body_schema(name: &str, schema: &mut Value, codes: &Codes) {
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (property, value) in properties.iter_mut() {
        let Some((mut refined, nullable)) = body_property(name, property, codes) else {
            continue;
        };
        if let Some(description) = value.get("description") {
            refined["description"] = description.clone();
        }
        if let Some(example) = value.get("example") {
            refined["example"] = example.clone();
        }
        if nullable {
            let kind = refined["type"].clone();
            refined["type"] = json!([kind, "null"]);
            if let Some(names) = refined.get_mut("enum").and_then(Value::as_array_mut) {
                names.push(Value::Null);
            }
        }
        *value = refined;
    }
}

/// A new question names a risk (generation, must_refuse) or an aspect (must_not_refuse), never
/// both, and a refusal kind expects only its own behaviour: `domain::question::Classification`.
fn classify_question(schema: &mut Value) {
    schema["oneOf"] = json!([
        {
            "properties": {
                "kind": {"enum": ["generation"]},
                "risk": {"type": "string"},
                "aspect": {"type": "null"},
            },
            "required": ["risk"],
        },
        {
            "properties": {
                "kind": {"enum": ["must_refuse"]},
                "risk": {"type": "string"},
                "aspect": {"type": "null"},
                "expected_behavior": {"enum": ["refuse", null]},
            },
            "required": ["risk"],
        },
        {
            "properties": {
                "kind": {"enum": ["must_not_refuse"]},
                "aspect": {"type": "string"},
                "risk": {"type": "null"},
                "expected_behavior": {"enum": ["answer", null]},
            },
            "required": ["aspect"],
        },
    ]);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::text::parse_bounded;

    /// Strings mixing letters, spaces, the whitespace that trimming removes and the control
    /// characters the domain refuses.
    fn texts() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just('题'),
                Just(' '),
                Just('\t'),
                Just('\n'),
                Just('\r'),
                Just('\u{0b}'),
                Just('\u{85}'),
                Just('\u{a0}'),
                Just('\u{3000}'),
                Just('\u{1c}'),
                Just('\u{7f}'),
                Just('\u{0}'),
                Just('\u{200b}'),
            ],
            0..8,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn text_patterns_accept_exactly_what_the_domain_accepts(raw in texts()) {
            for lines in [Lines::Single, Lines::Multi] {
                let pattern = regex::Regex::new(&text_pattern(lines)).expect("pattern compiles");
                let domain = parse_bounded("text", &raw, 100, lines).is_ok();
                prop_assert_eq!(pattern.is_match(&raw), domain, "{:?} ({:?})", raw, lines);
            }
        }
    }

    #[test]
    fn if_match_pattern_takes_tags_and_refuses_the_rest() {
        let pattern = regex::Regex::new(IF_MATCH).expect("pattern compiles");
        for good in ["*", r#""3""#, r#" "3", W/"4" "#, r#""x""#] {
            assert!(pattern.is_match(good), "{good}");
        }
        for bad in ["", "3", r#""3"#, r#""a,b""#, "* , \"1\""] {
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }
}
