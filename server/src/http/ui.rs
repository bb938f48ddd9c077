//! The web page for annotation teams: one HTML shell, a script and a style sheet, compiled into
//! the binary so the page works on intranets with no internet access (no CDN, no web fonts).
//!
//! The page is a client of the versioned JSON API: it signs in with an API token kept in the
//! tab's `sessionStorage` and sends it as `Authorization: Bearer …`, so the API's access rules,
//! preconditions and error codes are the page's too. The assets themselves hold no data and
//! are public.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};

use super::error::ApiError;
use crate::messages::msg;

/// The shell: every screen is drawn by `app.js` from the address's `#/…` fragment.
const INDEX_HTML: &str = include_str!("../../ui/index.html");

/// The assets under `/ui/`: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../ui/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../ui/app.css"),
    ),
];

/// Only the page's own origin: nothing is fetched from elsewhere, and injected markup could not
/// run script or send the token away.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; \
     style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

/// `GET /`: the page.
pub async fn index() -> HttpResponse {
    page_response("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /ui/{asset}`: a script or style sheet of the page.
pub async fn asset(asset: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = asset.into_inner();
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == asset)
        .map(|(_, content_type, body)| page_response(content_type, body))
        .ok_or_else(|| ApiError::not_found(msg!("no_asset", asset = asset)))
}

fn page_response(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        // Assets change with the binary: revalidate rather than run a stale script.
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}
