//! The contract and configuration of the Python sandbox.
//!
//! This crate is pure data: it makes no syscalls, spawns nothing and needs no
//! async runtime. It defines
//! - the execution contract ([`ExecutionRequest`], [`ExecutionResult`],
//!   [`Status`]): the JSON shared by the HTTP API, `sandbox run --json` and
//!   the client; [`ApiError`], the HTTP API's error body;
//! - configuration ([`ClientConfig`], loaded from the environment and `.env`
//!   with the variable names in [`vars`]);
//! - validation of untrusted input ([`files`], [`Limits`], [`syntax`]);
//! - the [`ExecutionPlan`] a runner executes, built from a request and the
//!   configuration.

#![forbid(unsafe_code)]
#![warn(clippy::missing_errors_doc)]

pub mod bounds;
pub mod config;
mod contract;
pub mod diagnostic;
pub mod encoded;
pub mod error;
pub mod files;
pub mod limits;
pub mod network;
pub mod plan;
pub mod policy;
pub mod proc_view;
pub mod protocol;
pub mod seconds;
pub mod secure;
pub mod syntax;
pub mod vars;

pub use config::{ClientConfig, MAX_POOL_SIZE, PolicyChoice};
pub use contract::{
    ApiError, ApiErrorDetail, BundleError, DEFAULT_FILENAME, ExecutionEvent, ExecutionMode,
    ExecutionRequest, ExecutionResult, MAX_BUNDLE_TYPES, MimeBundle, SessionOptions, Status, Usage,
    Violation,
};
pub use error::{ConfigError, RequestError, SandboxError};
pub use limits::{Bounds, Limits};
pub use plan::ExecutionPlan;
pub use policy::Policy;
pub use secure::{Isolation, SecurePlan};
