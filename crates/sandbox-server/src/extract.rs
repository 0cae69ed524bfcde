//! Extractors for what the middleware leaves on a request: who calls
//! ([`Caller`], set by the API-key check) and the request's id (set by the
//! request-id layer), so handlers take them as arguments with their
//! defaults already applied.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_http::request_id::RequestId;

use crate::keys::Caller;

/// The caller the API-key middleware found; [`Caller::Anonymous`] where it
/// did not run (in-process use).
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous))
    }
}

/// The request's id as the logs and `x-request-id` show it; `-` when there
/// is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIdText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestIdText {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let id = parts
            .extensions
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-");
        Ok(Self(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, Request};

    use super::*;

    async fn extract(request: Request<()>) -> (Caller, RequestIdText) {
        let (mut parts, ()) = request.into_parts();
        let caller = Caller::from_request_parts(&mut parts, &()).await.unwrap();
        let id = RequestIdText::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        (caller, id)
    }

    #[tokio::test]
    async fn defaults_apply_where_the_middleware_did_not_run() {
        let (caller, id) = extract(Request::new(())).await;
        assert_eq!(caller, Caller::Anonymous);
        assert_eq!(id, RequestIdText("-".into()));
    }

    #[tokio::test]
    async fn what_the_middleware_set_is_taken() {
        let mut request = Request::new(());
        request.extensions_mut().insert(Caller::Key(2));
        request
            .extensions_mut()
            .insert(RequestId::new(HeaderValue::from_static("abc-123")));
        let (caller, id) = extract(request).await;
        assert_eq!(caller, Caller::Key(2));
        assert_eq!(id, RequestIdText("abc-123".into()));
    }
}
