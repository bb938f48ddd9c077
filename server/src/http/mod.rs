//! The REST API: routes grouped by resource, thin handlers, one error type.

pub mod access;
pub mod actor;
pub mod answer_templates;
pub mod audit;
pub mod builds;
pub mod contract;
pub mod coverage;
pub mod entries;
pub mod error;
pub mod evaluations;
pub mod exports;
pub mod filings;
pub mod health;
pub mod imports;
pub mod json_body;
pub mod keywords;
pub mod language;
pub mod lints;
pub mod openapi;
pub mod preconditions;
pub mod question_sets;
pub mod questions;
pub mod refusals;
pub mod reports;
pub mod request_fields;
pub mod revisions;
pub mod route;
pub mod schemas;
pub mod search;
pub mod signing_keys;
pub mod taxonomy;
pub mod test_runs;
pub mod tokens;
pub mod ui;
pub mod users;
pub mod webhooks;

pub use crate::services::AppState;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_swagger_ui::SwaggerUi;

use self::error::ApiError;
use self::json_body::MAX_JSON_BYTES;
use crate::messages::msg;

/// Registers every route, the extractor error handlers and the JSON 404/405 answers.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_JSON_BYTES))
        .app_data(web::PathConfig::default().error_handler(|error, _| {
            ApiError::not_found(msg!("no_resource_at_path", detail = error.to_string())).into()
        }))
        .app_data(web::QueryConfig::default().error_handler(|error, _| {
            ApiError::invalid(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                msg!("invalid_query", detail = error.to_string()),
            )
            .into()
        }))
        .service(resource("/health").route(web::get().to(health::health)))
        .service(resource("/ready").route(web::get().to(health::ready)))
        .service(resource("/metrics").route(web::get().to(health::metrics)))
        .service(resource("/v1/risks").route(web::get().to(taxonomy::risks)))
        .service(resource("/v1/aspects").route(web::get().to(taxonomy::aspects)))
        .service(resource("/v1/answer-templates").route(web::get().to(answer_templates::list)))
        .service(
            resource("/v1/keywords")
                .route(web::get().to(keywords::list))
                .route(web::post().to(keywords::create)),
        )
        .service(
            resource("/v1/keywords/{id}")
                .route(web::get().to(keywords::get))
                .route(web::patch().to(keywords::update)),
        )
        .service(resource("/v1/keywords/{id}/retire").route(web::post().to(keywords::retire)))
        .service(resource("/v1/keywords/{id}/approve").route(web::post().to(keywords::approve)))
        .service(resource("/v1/keywords/{id}/reject").route(web::post().to(keywords::reject)))
        .service(resource("/v1/keywords/{id}/reopen").route(web::post().to(keywords::reopen)))
        .service(resource("/v1/keywords/{id}/revisions").route(web::get().to(keywords::revisions)))
        .service(
            resource("/v1/questions")
                .route(web::get().to(questions::list))
                .route(web::post().to(questions::create)),
        )
        .service(
            resource("/v1/questions/{id}")
                .route(web::get().to(questions::get))
                .route(web::patch().to(questions::update)),
        )
        .service(resource("/v1/questions/{id}/retire").route(web::post().to(questions::retire)))
        .service(resource("/v1/questions/{id}/approve").route(web::post().to(questions::approve)))
        .service(resource("/v1/questions/{id}/reject").route(web::post().to(questions::reject)))
        .service(resource("/v1/questions/{id}/reopen").route(web::post().to(questions::reopen)))
        .service(
            resource("/v1/questions/{id}/revisions").route(web::get().to(questions::revisions)),
        )
        .service(resource("/v1/questions/{id}/similar").route(web::get().to(search::similar)))
        .service(
            resource("/v1/question-sets")
                .route(web::get().to(question_sets::list))
                .route(web::post().to(question_sets::create)),
        )
        .service(resource("/v1/question-sets/{id}").route(web::get().to(question_sets::get)))
        .service(
            resource("/v1/question-sets/{id}/members").route(web::get().to(question_sets::members)),
        )
        .service(
            resource("/v1/question-sets/{from}/diff/{to}")
                .route(web::get().to(question_sets::diff)),
        )
        .service(
            resource("/v1/question-sets/{id}/retire").route(web::post().to(question_sets::retire)),
        )
        .service(resource("/v1/refusal-detection").route(web::post().to(refusals::detect)))
        .service(resource("/v1/refusal-phrases").route(web::get().to(refusals::phrases)))
        .service(
            resource("/v1/refusal-phrases/versions")
                .route(web::get().to(refusals::versions))
                .route(web::post().to(refusals::propose)),
        )
        .service(
            resource("/v1/refusal-phrases/versions/{id}").route(web::get().to(refusals::version)),
        )
        .service(
            resource("/v1/refusal-phrases/versions/{id}/approve")
                .route(web::post().to(refusals::approve)),
        )
        .service(
            resource("/v1/refusal-phrases/versions/{id}/reject")
                .route(web::post().to(refusals::reject)),
        )
        .service(
            resource("/v1/test-runs")
                .route(web::get().to(test_runs::list))
                .route(web::post().to(test_runs::create)),
        )
        .service(resource("/v1/test-runs/{id}").route(web::get().to(test_runs::get)))
        .service(
            resource("/v1/test-runs/{id}/answers")
                .route(web::get().to(test_runs::answers))
                .route(web::post().to(test_runs::record_answers)),
        )
        .service(
            resource("/v1/test-runs/{id}/answers/{question_id}/verdicts")
                .route(web::get().to(test_runs::verdict_history))
                .route(web::post().to(test_runs::judge)),
        )
        .service(
            resource("/v1/test-runs/{id}/calls")
                .route(web::get().to(test_runs::calls))
                .route(web::post().to(test_runs::start_call)),
        )
        .service(resource("/v1/test-runs/{id}/errors").route(web::get().to(test_runs::errors)))
        .service(resource("/v1/test-runs/{id}/report").route(web::get().to(test_runs::report)))
        .service(
            resource("/v1/filings")
                .route(web::get().to(filings::list))
                .route(web::post().to(filings::create)),
        )
        .service(resource("/v1/filings/{id}").route(web::get().to(filings::get)))
        .service(resource("/v1/filings/{id}/archive").route(web::get().to(filings::archive)))
        .service(
            resource("/v1/test-runs/{id}/compare/{other}").route(web::get().to(test_runs::compare)),
        )
        .service(resource("/v1/search").route(web::get().to(search::search)))
        .service(
            resource("/v1/builds")
                .route(web::get().to(builds::list))
                .route(web::post().to(builds::create)),
        )
        .service(resource("/v1/builds/latest").route(web::get().to(builds::latest)))
        .service(resource("/v1/builds/events").route(web::get().to(builds::events)))
        .service(resource("/v1/builds/{number}").route(web::get().to(builds::get)))
        .service(resource("/v1/builds/{number}/artifact").route(web::get().to(builds::artifact)))
        .service(resource("/v1/builds/{number}/manifest").route(web::get().to(builds::manifest)))
        .service(resource("/v1/signing-keys").route(web::get().to(signing_keys::list)))
        .service(resource("/v1/builds/{from}/diff/{to}").route(web::get().to(builds::diff)))
        .service(resource("/v1/builds/{number}/match").route(web::post().to(builds::match_text)))
        .service(
            resource("/v1/builds/{number}/evaluate")
                .app_data(web::PayloadConfig::new(evaluations::MAX_CORPUS_BYTES))
                .route(web::post().to(evaluations::evaluate)),
        )
        .service(
            resource("/v1/builds/{number}/evaluations").route(web::get().to(evaluations::list)),
        )
        .service(
            resource("/v1/builds/{number}/evaluations/{id}").route(web::get().to(evaluations::get)),
        )
        .service(resource("/v1/imports").route(web::post().to(imports::create)))
        .service(resource("/v1/exports/{file}").route(web::get().to(exports::export_file)))
        .service(resource("/v1/tasks/{id}").route(web::get().to(builds::task)))
        .service(resource("/v1/coverage/history").route(web::get().to(coverage::history)))
        .service(resource("/v1/coverage").route(web::get().to(coverage::report)))
        .service(resource("/v1/coverage/profiles").route(web::get().to(coverage::profiles)))
        .service(resource("/coverage").route(web::get().to(coverage::page)))
        .service(resource("/v1/lint-rules").route(web::get().to(lints::rules)))
        .service(resource("/v1/reports/lints").route(web::get().to(lints::report)))
        .service(resource("/v1/reports/duplicates").route(web::get().to(reports::duplicates)))
        .service(resource("/v1/reports/collisions").route(web::get().to(reports::collisions)))
        .service(
            resource("/v1/tokens")
                .route(web::get().to(tokens::list))
                .route(web::post().to(tokens::create)),
        )
        .service(resource("/v1/tokens/{id}").route(web::get().to(tokens::get)))
        .service(resource("/v1/tokens/{id}/revoke").route(web::post().to(tokens::revoke)))
        .service(
            resource("/v1/users")
                .route(web::get().to(users::list))
                .route(web::post().to(users::create)),
        )
        .service(resource("/v1/users/{id}").route(web::get().to(users::get)))
        .service(
            resource("/v1/webhooks")
                .route(web::get().to(webhooks::list))
                .route(web::post().to(webhooks::create)),
        )
        .service(
            resource("/v1/webhooks/{id}")
                .route(web::get().to(webhooks::get))
                .route(web::delete().to(webhooks::remove)),
        )
        .service(
            resource("/v1/webhooks/{id}/deliveries").route(web::get().to(webhooks::deliveries)),
        )
        .service(resource("/v1/me").route(web::get().to(tokens::me)))
        .service(resource("/v1/audit").route(web::get().to(audit::list)))
        .service(resource("/").route(web::get().to(ui::index)))
        .service(resource("/ui/{asset}").route(web::get().to(ui::asset)))
        .service(resource("/docs").route(web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((actix_web::http::header::LOCATION, "/docs/"))
                .finish()
        })))
        .service(
            // Swagger UI's assets are compiled into the binary (`vendored`): the page works
            // on intranets with no internet access.
            SwaggerUi::new("/docs/{_:.*}")
                .external_url_unchecked("/openapi.json", openapi::document()),
        )
        .default_service(web::to(unknown_route));
}

/// A resource whose unsupported methods answer `405` with the JSON error body.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|request: HttpRequest| async move {
        let pattern = route::pattern(&request).unwrap_or_default();
        Err::<HttpResponse, _>(ApiError::method_not_allowed(
            request.method().as_str(),
            request.path(),
            &access::allowed_methods(&pattern),
        ))
    }))
}

async fn unknown_route(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::no_route(request.path()))
}
