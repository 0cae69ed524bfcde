//! API keys: who may call `POST /execute` and `/mcp`.
//!
//! Keys are kept only as SHA-256 digests and a presented key is compared
//! with every configured digest in constant time (no early exit, no length
//! leak), so response timing says nothing about how close a guess was.

use std::fmt;
use std::net::IpAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest as _, Sha256};
use subtle::{Choice, ConstantTimeEq as _};

use crate::error::ApiFailure;
use crate::state::AppState;

/// The header that may carry a key instead of `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The accepted keys, as digests. Empty means the server is open.
#[derive(Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl fmt::Debug for ApiKeys {
    // Never prints a key or a digest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeys({} configured)", self.digests.len())
    }
}

/// Who is calling, for rate limits and logs (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// The n-th configured key (0-based).
    Key(usize),
    /// No keys are configured: the client's address.
    Address(IpAddr),
    /// No keys are configured and the address is unknown (in-process use).
    Anonymous,
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(n) => write!(f, "key#{n}"),
            Self::Address(ip) => write!(f, "{ip}"),
            Self::Anonymous => f.write_str("anonymous"),
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl ApiKeys {
    /// Keys from a comma-separated list; blanks are ignored.
    pub fn parse(list: &str) -> Self {
        Self {
            digests: list
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(digest)
                .collect(),
        }
    }

    /// Keys from a key file: one per line, blank lines and `#` comments ignored.
    pub fn parse_file(text: &str) -> Self {
        Self {
            digests: text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(digest)
                .collect(),
        }
    }

    /// Adds the keys of `other`.
    pub fn extend(&mut self, other: Self) {
        self.digests.extend(other.digests);
    }

    /// Whether no key is configured (the server is open).
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// How many keys are configured.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// The index of the configured key equal to `presented`, comparing with
    /// every key in constant time.
    pub fn find(&self, presented: &str) -> Option<usize> {
        let presented = digest(presented);
        let mut found: Option<usize> = None;
        for (index, known) in self.digests.iter().enumerate() {
            let equal: Choice = known.ct_eq(&presented);
            if bool::from(equal) && found.is_none() {
                found = Some(index);
            }
        }
        found
    }
}

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
    fn keys_are_found_by_value_and_blanks_ignored() {
        let mut keys = ApiKeys::parse(" alpha, ,beta ");
        keys.extend(ApiKeys::parse_file("# comment\n\ngamma\n  delta  \n"));
        assert_eq!(keys.len(), 4);
        assert_eq!(keys.find("alpha"), Some(0));
        assert_eq!(keys.find("beta"), Some(1));
        assert_eq!(keys.find("delta"), Some(3));
        assert_eq!(keys.find("alph"), None);
        assert_eq!(keys.find(""), None);
        assert!(!format!("{keys:?}").contains("alpha"));
    }

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
