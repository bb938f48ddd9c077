//! The route pattern a request matched (e.g. `/v1/keywords/{id}`), worked out once per
//! request: actix's `match_pattern` walks the registered routes, trying the pattern of each
//! one with parameters, every time it is asked, and access, audit, metrics and the handlers
//! all ask.

use actix_web::{HttpMessage, HttpRequest};

/// The request's route pattern, kept in its extensions once known.
#[derive(Debug)]
struct MatchedRoute(Option<String>);

/// The pattern of the route `request`'s path matches; `None` when no route does.
pub fn pattern(request: &HttpRequest) -> Option<String> {
    if let Some(MatchedRoute(pattern)) = request.extensions().get::<MatchedRoute>() {
        return pattern.clone();
    }
    let pattern = request.match_pattern();
    request
        .extensions_mut()
        .insert(MatchedRoute(pattern.clone()));
    pattern
}
