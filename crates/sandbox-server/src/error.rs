//! Every error answer of the API: a status, a stable code and a message, as
//! `{"error": {"code", "message"}}` (the core's [`ApiError`]).
//!
//! Bad input is explained; internal failures are logged with the request id
//! by the caller and answered with the id only, never with their details.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};
use sandbox_core::ApiError;

/// The stable error codes of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 400: the body is not JSON.
    MalformedJson,
    /// 401: no or a wrong API key.
    Unauthorized,
    /// 403: a `Host` or browser `Origin` this server does not answer.
    Forbidden,
    /// 404: no such endpoint.
    NotFound,
    /// 405: the endpoint exists, the method does not.
    MethodNotAllowed,
    /// 408: the body did not arrive in time.
    RequestTimeout,
    /// 413: the body is over the size limit.
    PayloadTooLarge,
    /// 415: the body is not declared as JSON.
    UnsupportedMediaType,
    /// 422: valid JSON, but not a valid request or over a limit.
    InvalidRequest,
    /// 429: this caller's rate limit is used up.
    RateLimited,
    /// 503: every slot and the queue are taken.
    Overloaded,
    /// 503: the server is shutting down.
    ShuttingDown,
    /// 503: the server cannot run this kind of request now (secure mode
    /// unavailable on this host).
    Unavailable,
    /// 500: anything else; details are in the server log.
    Internal,
}

impl Code {
    /// The code as it appears in the JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidRequest => "invalid_request",
            Self::RateLimited => "rate_limited",
            Self::Overloaded => "overloaded",
            Self::ShuttingDown => "shutting_down",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::MalformedJson => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidRequest => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Overloaded | Self::ShuttingDown | Self::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answer, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// Which error.
    pub code: Code,
    /// The explanation sent to the caller.
    pub message: String,
    /// Seconds to wait before retrying (`Retry-After`), for load errors.
    pub retry_after: Option<u64>,
}

impl ApiFailure {
    /// An error with `code` and `message`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 422 for a field over a limit or otherwise invalid.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidRequest, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthorized, message)
    }

    /// 500 with the request id only; the caller logs the details.
    pub fn internal(request_id: &str) -> Self {
        Self::new(
            Code::Internal,
            format!(
                "internal error; the server log has the details under request id `{request_id}`"
            ),
        )
    }

    /// Adds a `Retry-After` of `seconds`.
    #[must_use]
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut response = (
            self.code.status(),
            Json(ApiError::new(self.code.as_str(), self.message)),
        )
            .into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.code == Code::Unauthorized {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
