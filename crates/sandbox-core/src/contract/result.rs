//! The result half of the execution contract. Field names follow the original
//! Python API (`return_code`, `stdout`, `stderr`, `get_file_content`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::ExecutionMode;
use super::Isolation;
use super::MimeBundle;
use super::serde_helpers::base64_map;

/// What happened to one execution. `success` is `status == ok`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[non_exhaustive]
pub enum Status {
    /// The program exited with code 0.
    Ok,
    /// The program exited non-zero (for example an uncaught exception).
    Error,
    /// The code does not parse; nothing ran.
    SyntaxError,
    /// The code breaks the policy (see `violations`); nothing ran.
    PolicyViolation,
    /// The wall-clock or CPU-time limit was reached and the program was killed.
    Timeout,
    /// The program ran out of its memory limit.
    MemoryLimit,
    /// The program wrote more than the output cap and was stopped.
    OutputLimit,
    /// The program was killed by a signal it did not ask for.
    Killed,
    /// The sandbox itself failed; `message` says why.
    SandboxError,
}

impl Status {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::SyntaxError => "syntax_error",
            Self::PolicyViolation => "policy_violation",
            Self::Timeout => "timeout",
            Self::MemoryLimit => "memory_limit",
            Self::OutputLimit => "output_limit",
            Self::Killed => "killed",
            Self::SandboxError => "sandbox_error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A policy rule the code breaks, with its position (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Violation {
    /// Stable rule code.
    pub rule: String,
    /// What is wrong and what to do instead.
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The input file the violation is in; absent for the main code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Resources the program used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// User plus system CPU time, in milliseconds.
    pub cpu_ms: f64,
    /// Peak resident memory of the largest process, in KiB.
    pub peak_memory_kb: u64,
}

/// The outcome of one execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutionResult {
    /// `true` exactly when `status` is `ok`.
    pub success: bool,
    /// What happened.
    pub status: Status,
    /// The exit code; the negated signal number when killed by a signal;
    /// `null` when the program never started.
    pub return_code: Option<i32>,
    /// Captured standard output (UTF-8; invalid bytes replaced).
    pub stdout: String,
    /// Captured standard error (UTF-8; invalid bytes replaced).
    pub stderr: String,
    /// `stdout` was cut at the output cap.
    pub stdout_truncated: bool,
    /// `stderr` was cut at the output cap.
    pub stderr_truncated: bool,
    /// Wall-clock time from start to exit, in milliseconds.
    pub duration_ms: f64,
    /// Files the program created or changed in its work dir: relative name to
    /// contents (base64 on the wire).
    #[serde(with = "base64_map")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub output_files: BTreeMap<String, Vec<u8>>,
    /// Some output files were left out because a count or size cap was hit
    /// (or a name could not be represented); `message` says which.
    #[serde(default)]
    pub output_files_truncated: bool,
    /// Policy violations, when `status` is `policy_violation`.
    #[serde(default)]
    pub violations: Vec<Violation>,
    /// What the run showed as a notebook cell would, in order: the value
    /// of the code's last expression (unless `None`), each `display(obj)`
    /// and each matplotlib figure, as MIME bundles. Absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display: Vec<MimeBundle>,
    /// Resources used.
    #[serde(default)]
    pub usage: Usage,
    /// The mode the code ran in.
    pub mode: ExecutionMode,
    /// The isolation level secure mode ran with (`null` in simple mode).
    #[serde(default)]
    pub isolation: Option<Isolation>,
    /// A one-line human explanation when the status is neither `ok` nor
    /// `error` (which limit was hit, why the sandbox failed), and notes such
    /// as left-out output files.
    #[serde(default)]
    pub message: Option<String>,
}

impl ExecutionResult {
    /// A result with the given status and mode and everything else empty;
    /// `success` follows the status.
    pub fn new(status: Status, mode: ExecutionMode) -> Self {
        Self {
            success: status == Status::Ok,
            status,
            return_code: None,
            stdout: String::new(),
            stderr: String::new(),
            stdout_truncated: false,
            stderr_truncated: false,
            duration_ms: 0.0,
            output_files: BTreeMap::new(),
            output_files_truncated: false,
            violations: Vec::new(),
            display: Vec::new(),
            usage: Usage::default(),
            mode,
            isolation: None,
            message: None,
        }
    }

    /// The contents of an output file (the original API's
    /// `get_file_content`), or `None` when the program did not produce it.
    #[doc(alias = "get_file_content")]
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.output_files.get(name).map(Vec::as_slice)
    }

    /// An output file as UTF-8 text, if present and valid UTF-8.
    pub fn file_text(&self, name: &str) -> Option<&str> {
        self.file(name)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }
}
