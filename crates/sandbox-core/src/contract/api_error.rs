//! The error body of the HTTP API: `{"error": {"code": "…", "message": "…"}}`.
//! The server writes it and the remote client reads it, so it lives here.

use serde::{Deserialize, Serialize};

/// What the HTTP API answers instead of an [`ExecutionResult`](crate::ExecutionResult)
/// when it cannot run a request (bad input, authentication, load).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// The error itself.
    pub error: ApiErrorDetail,
}

/// A stable machine-readable code and a human explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorDetail {
    /// Stable code, e.g. `payload_too_large`, `invalid_request`, `unauthorized`.
    #[cfg_attr(feature = "openapi", schema(example = "invalid_request"))]
    pub code: String,
    /// What is wrong and, for bad input, what is accepted.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "`timeout` is 600 s, this server allows at most 300 s")
    )]
    pub message: String,
}

impl ApiError {
    /// An error body with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ApiErrorDetail {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}
