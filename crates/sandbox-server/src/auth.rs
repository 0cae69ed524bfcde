//! API keys: who may call `POST /execute` and `/mcp`. This module reads
//! the key a request presents and refuses what `keys` does not know.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ApiFailure;
pub use crate::keys::{ApiKeys, Caller};
use crate::state::AppState;

/// The header that may carry a key instead of `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The key a request presents: `Authorization: Bearer KEY` or `X-API-Key:
/// KEY`; an `Authorization` header of another shape is an error that says
/// what was sent instead.
fn presented_key(headers: &HeaderMap) -> Result<Option<&str>, String> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let Ok(value) = value.to_str() else {
            return Err("the `Authorization` header is not text".into());
        };
        let value = value.trim();
        return match value.split_once(' ') {
            Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => match key.trim() {
                "" => Err("`Authorization: Bearer` carries no key".into()),
                key => Ok(Some(key)),
            },
            Some((scheme, _)) => Err(format!(
                "the `Authorization` header uses the `{}` scheme; this server takes \
                 `Authorization: Bearer KEY` or `X-API-Key: KEY`",
                scheme.escape_debug()
            )),
            None => Err(
                "the `Authorization` header has no scheme; send `Authorization: Bearer KEY` \
                 or `X-API-Key: KEY`"
                    .into(),
            ),
        };
    }
    Ok(headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty()))
}

/// Middleware for the protected routes: 401 without a valid key; otherwise
/// the [`Caller`] is put in the request's extensions.
///
/// # Errors
///
/// A 401 answer when a key is required and none, or a wrong one, is given.
pub async fn require_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiFailure> {
    let keys = &state.config().api_keys;
    let caller = if keys.is_empty() {
        request
            .extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map_or(Caller::Anonymous, |ConnectInfo(addr)| {
                Caller::Address(addr.ip())
            })
    } else {
        let key = match presented_key(request.headers()) {
            Ok(Some(key)) => key,
            Ok(None) => {
                return Err(ApiFailure::unauthorized(
                    "this server needs an API key: send `Authorization: Bearer KEY` or `X-API-Key: KEY`",
                ));
            }
            Err(problem) => return Err(ApiFailure::unauthorized(problem)),
        };
        match keys.find(key) {
            Some(index) => Caller::Key(index),
            None => return Err(ApiFailure::unauthorized("the API key is not valid")),
        }
    };
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_header_forms_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Bearer  k1 ".parse().unwrap());
        assert_eq!(presented_key(&headers), Ok(Some("k1")));
        headers.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(
            presented_key(&headers)
                .unwrap_err()
                .contains("`Basic` scheme")
        );
        headers.insert(AUTHORIZATION, "k1".parse().unwrap());
        assert!(presented_key(&headers).unwrap_err().contains("no scheme"));
        let mut headers = HeaderMap::new();
        headers.insert(API_KEY_HEADER, "k2".parse().unwrap());
        assert_eq!(presented_key(&headers), Ok(Some("k2")));
        assert_eq!(presented_key(&HeaderMap::new()), Ok(None));
    }
}
