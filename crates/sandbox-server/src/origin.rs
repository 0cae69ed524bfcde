//! Who may talk to the server from a browser: the `Host` a request names
//! and the `Origin` a browser sends.
//!
//! A web page can make a browser send requests to a server on the
//! visitor's loopback interface, and by DNS rebinding (its own name
//! resolving to 127.0.0.1) make them look same-origin. Two checks stop it,
//! as the MCP specification requires for its transport:
//! - `Host`: a server listening on loopback answers only local names, so a
//!   rebound name is refused (403) on every endpoint;
//! - `Origin`: `/execute` and `/mcp` refuse (403) a browser request from
//!   another origin than the server's own unless it is allowed by
//!   configuration. Requests without `Origin` (curl, SDKs, agents) pass.

use std::net::IpAddr;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{ApiFailure, Code};

/// Browser origins allowed besides the server's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Only the server's own origin.
    #[default]
    SameOnly,
    /// These too (`scheme://host[:port]`, lowercase, no trailing slash).
    List(Vec<String>),
    /// Any origin (`*`).
    Any,
}

impl AllowedOrigins {
    /// Parses a comma-separated list: `*`, or origins such as
    /// `https://app.example.com` or `http://localhost:3000`.
    ///
    /// # Errors
    /// The entry that is not an origin, and why.
    pub fn parse(list: &str) -> Result<Self, (String, String)> {
        let entries: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        if entries.is_empty() {
            return Ok(Self::SameOnly);
        }
        if entries.contains(&"*") {
            return Ok(Self::Any);
        }
        let mut origins = Vec::new();
        for entry in entries {
            let normalised = entry.trim_end_matches('/').to_ascii_lowercase();
            let Some((scheme, authority)) = normalised.split_once("://") else {
                return Err((entry.to_owned(), "expected `scheme://host[:port]`".into()));
            };
            if !matches!(scheme, "http" | "https")
                || authority.is_empty()
                || authority.contains('/')
            {
                return Err((
                    entry.to_owned(),
                    "expected `http://` or `https://` and a host, with no path".into(),
                ));
            }
            origins.push(normalised);
        }
        Ok(Self::List(origins))
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            Self::SameOnly => false,
            Self::Any => true,
            Self::List(list) => {
                let origin = origin.trim_end_matches('/').to_ascii_lowercase();
                list.contains(&origin)
            }
        }
    }
}

/// `Host` names the server answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    /// Lowercase host names or addresses, without port; `None` is any.
    names: Option<Vec<String>>,
}

impl AllowedHosts {
    /// Parses a comma-separated list of host names (ports are ignored).
    pub fn parse(list: &str) -> Self {
        let names = list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| host_name(e).to_ascii_lowercase())
            .collect();
        Self { names: Some(names) }
    }

    /// The default for a server listening on `listen`: local names only on
    /// a loopback address (or `localhost`), any host otherwise.
    pub fn default_for(listen: &str) -> Self {
        let loopback = listen.eq_ignore_ascii_case("localhost")
            || listen
                .trim_matches(['[', ']'])
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            Self::parse("localhost,127.0.0.1,::1")
        } else {
            Self { names: None }
        }
    }

    /// Whether `host` (a `Host` header value) is answered.
    pub fn allows(&self, host: &str) -> bool {
        match &self.names {
            None => true,
            Some(names) => {
                let name = host_name(host).to_ascii_lowercase();
                names.contains(&name)
            }
        }
    }

    /// The names, for messages; `None` when any host is answered.
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }
}

/// `host[:port]` or `[v6][:port]` split into host and port.
fn split_authority(authority: &str) -> (&str, Option<u16>) {
    if let Some(rest) = authority.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (rest, None),
        };
    }
    match authority.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (authority, None),
    }
}

/// The host part of `host[:port]` or `[v6][:port]`.
fn host_name(authority: &str) -> &str {
    split_authority(authority).0
}

/// Whether `origin` (`scheme://host[:port]`) is the origin of a request
/// for `host` (its `Host` header). Without a port in `Host`, either default
/// port matches (a proxy may have terminated TLS).
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => 80,
        "https" => 443,
        _ => return false,
    };
    let (origin_host, origin_port) = split_authority(authority.trim_end_matches('/'));
    let (host, host_port) = split_authority(host);
    if !origin_host.eq_ignore_ascii_case(host) {
        return false;
    }
    let origin_port = origin_port.unwrap_or(default_port);
    match host_port {
        Some(port) => port == origin_port,
        None => matches!(origin_port, 80 | 443),
    }
}

/// Middleware for every route: 403 when the `Host` is not one this server
/// answers.
///
/// # Errors
///
/// A 403 answer naming the refused host.
pub async fn check_host(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiFailure> {
    if allowed.names().is_some() {
        let host = request
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| {
                request
                    .uri()
                    .authority()
                    .map(axum::http::uri::Authority::as_str)
            })
            .unwrap_or("");
        if !allowed.allows(host) {
            return Err(ApiFailure::new(
                Code::Forbidden,
                format!(
                    "this server does not answer for host `{}`; it answers {} \
                     (set SANDBOX_ALLOWED_HOSTS to add names)",
                    host.escape_debug(),
                    allowed.names().unwrap_or_default().join(", ")
                ),
            ));
        }
    }
    Ok(next.run(request).await)
}

/// Middleware for `/execute` and `/mcp`: 403 for a browser request from an
/// origin that is neither the server's own nor allowed.
///
/// # Errors
///
/// A 403 answer naming the refused origin.
pub async fn check_origin(
    State(allowed): State<Arc<AllowedOrigins>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiFailure> {
    if let Some(origin) = origin_refused(request.headers(), &allowed) {
        return Err(ApiFailure::new(
            Code::Forbidden,
            format!(
                "requests from the web origin `{}` are not allowed \
                 (set SANDBOX_ALLOWED_ORIGINS to allow it)",
                origin.escape_debug()
            ),
        ));
    }
    Ok(next.run(request).await)
}

/// The refused origin of a request, if it has one.
fn origin_refused(headers: &HeaderMap, allowed: &AllowedOrigins) -> Option<String> {
    let origin = headers.get(ORIGIN)?;
    let Ok(origin) = origin.to_str() else {
        return Some(String::from_utf8_lossy(origin.as_bytes()).into_owned());
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if same_origin(origin, host) || allowed.allows(origin) {
        None
    } else {
        Some(origin.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_matched_by_name_whatever_the_port() {
        let local = AllowedHosts::default_for("127.0.0.1");
        for host in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:1",
            "[::1]:8000",
            "LOCALHOST",
        ] {
            assert!(local.allows(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:8000",
            "127.0.0.2",
            "",
            "localhost.evil",
        ] {
            assert!(!local.allows(host), "{host}");
        }
        assert!(AllowedHosts::default_for("0.0.0.0").allows("anything:1"));
        assert!(AllowedHosts::default_for("::1").names().is_some());
        let listed = AllowedHosts::parse("sandbox.internal, api.example:443");
        assert!(listed.allows("api.example"));
        assert!(!listed.allows("localhost"));
    }

    #[test]
    fn origins_are_same_origin_or_listed() {
        assert!(same_origin("http://127.0.0.1:8000", "127.0.0.1:8000"));
        assert!(same_origin("https://sandbox.example", "sandbox.example"));
        assert!(same_origin("http://[::1]:8000", "[::1]:8000"));
        assert!(!same_origin("http://127.0.0.1:8001", "127.0.0.1:8000"));
        assert!(!same_origin("http://evil.example", "127.0.0.1:8000"));
        assert!(!same_origin("null", "127.0.0.1:8000"));

        let list =
            AllowedOrigins::parse("https://app.example.com/, http://localhost:3000").unwrap();
        assert!(list.allows("https://APP.example.com"));
        assert!(!list.allows("https://app.example.com.evil"));
        assert_eq!(
            AllowedOrigins::parse(" ").unwrap(),
            AllowedOrigins::SameOnly
        );
        assert_eq!(AllowedOrigins::parse("*").unwrap(), AllowedOrigins::Any);
        assert!(AllowedOrigins::parse("app.example.com").is_err());
        assert!(AllowedOrigins::parse("ftp://x").is_err());

        let mut headers = HeaderMap::new();
        headers.insert(HOST, "127.0.0.1:8000".parse().unwrap());
        assert_eq!(origin_refused(&headers, &AllowedOrigins::SameOnly), None);
        headers.insert(ORIGIN, "http://evil.example".parse().unwrap());
        assert_eq!(
            origin_refused(&headers, &AllowedOrigins::SameOnly).as_deref(),
            Some("http://evil.example")
        );
        assert_eq!(origin_refused(&headers, &AllowedOrigins::Any), None);
        headers.insert(ORIGIN, "http://127.0.0.1:8000".parse().unwrap());
        assert_eq!(origin_refused(&headers, &AllowedOrigins::SameOnly), None);
    }
}
