//! A run's events as they happen: output while the program writes it, then
//! the result. Live output in the client, `sandbox run --stream-json` and
//! the server's Server-Sent Events all carry these.

use serde::{Deserialize, Serialize};

use super::{ExecutionResult, MimeBundle};

/// One event of a run. Output events come in the order each stream was
/// written (stdout and stderr each keep their own order); the result comes
/// last, and its `stdout` and `stderr` are the concatenation of the output
/// events' text (up to the caps: the result says what was truncated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExecutionEvent {
    /// Text the program wrote to stdout (whole UTF-8 characters; invalid
    /// bytes replaced by U+FFFD).
    Stdout {
        /// The text.
        text: String,
    },
    /// Text the program wrote to stderr.
    Stderr {
        /// The text.
        text: String,
    },
    /// The run showed an object (its last expression's value, a
    /// `display(obj)` call, a matplotlib figure): one MIME bundle, as it
    /// also appears in the result's `display`.
    Display {
        /// The bundle.
        data: MimeBundle,
    },
    /// The run ended: the whole result.
    Result(Box<ExecutionResult>),
}

impl ExecutionEvent {
    /// The event's name: `stdout`, `stderr`, `display` or `result` (the SSE event
    /// name, and the `event` field of its JSON).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Stdout { .. } => "stdout",
            Self::Stderr { .. } => "stderr",
            Self::Display { .. } => "display",
            Self::Result(_) => "result",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExecutionMode, Status};

    #[test]
    fn events_are_tagged_json_and_read_back() {
        let out = ExecutionEvent::Stdout {
            text: "hi\n".into(),
        };
        let json = serde_json::to_string(&out).unwrap();
        assert_eq!(json, r#"{"event":"stdout","text":"hi\n"}"#);
        assert_eq!(serde_json::from_str::<ExecutionEvent>(&json).unwrap(), out);

        let mut result = ExecutionResult::new(Status::Ok, ExecutionMode::Secure);
        result.stdout = "hi\n".into();
        let done = ExecutionEvent::Result(Box::new(result));
        let json = serde_json::to_value(&done).unwrap();
        assert_eq!(json["event"], "result");
        assert_eq!(json["status"], "ok");
        assert_eq!(json["stdout"], "hi\n");
        assert_eq!(done.name(), "result");
        let back: ExecutionEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, done);
    }
}
