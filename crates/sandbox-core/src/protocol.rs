//! The worker protocol: how the runner and the interpreter inside a sandbox
//! talk (see `docs/workers.md`).
//!
//! Requests go in on the interpreter's standard input, after the compiled
//! bootstrap; reports come out on descriptor 3. Both directions carry
//! frames: a big-endian `u32` length, a JSON header of that length, then
//! the number of payload bytes the header's `payload` field gives (none
//! when absent). The runner never trusts a frame from the sandbox: sizes are
//! bounded before anything is read, and any frame it cannot take is a
//! protocol error, reported as `sandbox_error`.
//!
//! This module is the frames as data, and their encoding and decoding over
//! bytes; the runner does the I/O.

use serde::{Deserialize, Serialize};

/// The protocol's version; the worker says which it speaks in [`Report::Hello`].
pub const VERSION: u32 = 1;

/// Largest JSON header accepted from a sandbox.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Largest payload accepted from a sandbox.
pub const MAX_PAYLOAD_BYTES: usize = 16 << 20;

/// A process limit the worker sets on itself before running the code
/// (`setrlimit`), by name: `cpu`, `as`, `nproc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rlimit {
    /// The resource, as Python's `resource` module names it without
    /// `RLIMIT_`, lowercase.
    pub resource: &'static str,
    /// Soft limit.
    pub soft: u64,
    /// Hard limit.
    pub hard: u64,
}

/// What the runner sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Run the code that follows as the payload, then exit.
    Run {
        /// The protocol version the runner speaks.
        v: u32,
        /// The name the code runs under (`__file__`, tracebacks).
        file: String,
        /// The policy guard's specification, when the policy has one.
        guard: Option<String>,
        /// Limits to set before the code runs.
        rlimits: Vec<Rlimit>,
        /// Nothing can be executed in this sandbox (secure mode's exec
        /// gate): the standard library's helpers that would start a
        /// process for bookkeeping only are quieted.
        no_exec: bool,
        /// The first run of a session: after each run the worker reports
        /// [`Report::Done`] and waits for the next `run` (whose `guard`,
        /// `rlimits` and `no_exec` are ignored) instead of exiting.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        session: bool,
        /// Bytes of code that follow.
        payload: usize,
    },
}

/// What the worker reports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Report {
    /// Started, and waiting for a request.
    Hello {
        /// The protocol version the worker speaks.
        v: u32,
    },
    /// The code compiled and runs now.
    Compiled,
    /// The interpreter's compiler refused the code (what the parser before
    /// it could not see: `return` outside a function, a NUL byte, nesting
    /// too deep for it); the worker then exits.
    SyntaxError {
        /// 1-based line, when known.
        line: Option<u32>,
        /// 1-based column, when known.
        column: Option<u32>,
        /// The compiler's message.
        message: String,
        /// The offending line, when known.
        text: Option<String>,
    },
    /// A session's run ended (the worker waits for the next request).
    Done {
        /// Its exit status: 0, 1 for an uncaught exception, or the code
        /// `sys.exit` gave.
        status: i32,
    },
    /// The code showed an object: the payload is its MIME bundle, a JSON
    /// object ([`crate::MimeBundle::from_report`] checks it). Sent by the
    /// program itself, so only as trusted as the program.
    Display,
}

/// Why bytes from a sandbox are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The header length is over [`MAX_HEADER_BYTES`].
    #[error("a report header of {0} bytes is over the limit")]
    HeaderTooLarge(usize),
    /// The payload length is over [`MAX_PAYLOAD_BYTES`].
    #[error("a report payload of {0} bytes is over the limit")]
    PayloadTooLarge(usize),
    /// The header is not a report this runner knows.
    #[error("a report is not valid: {0}")]
    Invalid(String),
}

/// Encodes a request and its payload as one frame.
pub fn encode(request: &Request, payload: &[u8]) -> Vec<u8> {
    let header = serde_json::to_vec(request).unwrap_or_default();
    let mut frame = Vec::with_capacity(4 + header.len() + payload.len());
    frame.extend_from_slice(&(header.len() as u32).to_be_bytes());
    frame.extend_from_slice(&header);
    frame.extend_from_slice(payload);
    frame
}

/// The header length a frame starts with, checked against the limit.
///
/// # Errors
/// [`FrameError::HeaderTooLarge`].
pub fn header_length(prefix: [u8; 4]) -> Result<usize, FrameError> {
    let length = u32::from_be_bytes(prefix) as usize;
    if length > MAX_HEADER_BYTES {
        return Err(FrameError::HeaderTooLarge(length));
    }
    Ok(length)
}

/// A report's header, and how many payload bytes follow it.
///
/// # Errors
/// [`FrameError::Invalid`] for a header that is not a known report,
/// [`FrameError::PayloadTooLarge`] past the limit.
pub fn decode_report(header: &[u8]) -> Result<(Report, usize), FrameError> {
    #[derive(Deserialize)]
    struct Payload {
        #[serde(default)]
        payload: usize,
    }
    let report: Report =
        serde_json::from_slice(header).map_err(|e| FrameError::Invalid(e.to_string()))?;
    let Payload { payload } =
        serde_json::from_slice(header).map_err(|e| FrameError::Invalid(e.to_string()))?;
    if payload > MAX_PAYLOAD_BYTES {
        return Err(FrameError::PayloadTooLarge(payload));
    }
    Ok((report, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_length_prefixed_json_then_payload() {
        let frame = encode(
            &Request::Run {
                v: VERSION,
                file: "main.py".into(),
                guard: None,
                rlimits: vec![Rlimit {
                    resource: "cpu",
                    soft: 2,
                    hard: 3,
                }],
                no_exec: false,
                session: false,
                payload: 8,
            },
            b"print(1)",
        );
        let length = header_length(frame[..4].try_into().unwrap()).unwrap();
        let header: serde_json::Value = serde_json::from_slice(&frame[4..4 + length]).unwrap();
        assert_eq!(header["type"], "run");
        assert_eq!(header["rlimits"][0]["resource"], "cpu");
        assert_eq!(&frame[4 + length..], b"print(1)");
    }

    #[test]
    fn reports_are_bounded_and_checked() {
        assert_eq!(
            decode_report(br#"{"type": "hello", "v": 1}"#).unwrap(),
            (Report::Hello { v: 1 }, 0)
        );
        let (report, _) = decode_report(
            br#"{"type": "syntax_error", "line": 2, "column": 5, "message": "'return' outside function", "text": "    return 1"}"#,
        )
        .unwrap();
        assert!(matches!(report, Report::SyntaxError { line: Some(2), .. }));
        assert_eq!(
            decode_report(br#"{"type": "display", "payload": 12}"#).unwrap(),
            (Report::Display, 12)
        );
        assert!(decode_report(br#"{"type": "shell"}"#).is_err());
        assert!(decode_report(b"\xff").is_err());
        assert_eq!(
            decode_report(br#"{"type": "compiled", "payload": 99999999999}"#),
            Err(FrameError::PayloadTooLarge(99_999_999_999))
        );
        assert_eq!(
            header_length(u32::MAX.to_be_bytes()),
            Err(FrameError::HeaderTooLarge(u32::MAX as usize))
        );
    }
}
