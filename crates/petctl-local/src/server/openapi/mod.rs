//! The OpenAPI documents: `/openapi/v2` (Swagger 2.0, JSON or gnostic
//! protobuf) and `/openapi/v3` (per group/version, addressed by hash), both
//! with the schemas of the served kinds generated from the types.

mod extensions;
mod schemas;
pub mod v2;
pub mod v3;

use axum::body::Body;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, EXPIRES, LOCATION};
use hyper::{Response, StatusCode};

/// `/openapi/v3/{path}` as kube-openapi's handler3 answers it
/// (`pkg/handler3/handler.go`): the ETag is the document's hash; a request
/// naming an old hash is redirected (301) to the current one; a request
/// naming the current hash is cacheable for a year; `If-None-Match` with the
/// current ETag gets a 304. `None` when no such group/version is served.
pub fn v3_response(
    group: &str,
    version: &str,
    query: &str,
    if_none_match: Option<&str>,
) -> Option<Response<Body>> {
    let document = v3::find(group, version)?;
    let etag = format!("\"{}\"", document.hash);
    let asked_hash = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "hash")
        .map(|(_, value)| value.into_owned());
    let mut response = match &asked_hash {
        Some(hash) if *hash != document.hash => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
            let location = format!("/openapi/v3/{}?hash={}", document.path, document.hash);
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(LOCATION, value);
            }
            return Some(response);
        }
        _ if if_none_match == Some(etag.as_str()) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        }
        _ => {
            let mut response = Response::new(Body::from(document.bytes.clone()));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    if asked_hash.is_some() {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("public, immutable"));
        let in_a_year = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_hours(24 * 365))
            .unwrap_or(jiff::Timestamp::MAX);
        let expires = in_a_year.strftime("%a, %d %b %Y %H:%M:%S UTC").to_string();
        if let Ok(value) = HeaderValue::from_str(&expires) {
            headers.insert(EXPIRES, value);
        }
    }
    Some(response)
}
