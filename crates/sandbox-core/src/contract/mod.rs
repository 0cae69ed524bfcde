//! The execution contract: the JSON shared by the HTTP API, `sandbox run
//! --json` and the client. It is public API; snapshot tests pin its shape.

mod api_error;
mod display;
mod event;
mod isolation;
mod request;
mod result;
mod serde_helpers;
mod session;

pub use api_error::{ApiError, ApiErrorDetail};
pub use display::{BundleError, MAX_BUNDLE_TYPES, MimeBundle};
pub use event::ExecutionEvent;
pub use isolation::Isolation;
pub use request::{DEFAULT_FILENAME, ExecutionMode, ExecutionRequest};
pub use result::{ExecutionResult, Status, Usage, Violation};
pub use session::SessionOptions;
