//! The output schemas of the tools (`outputSchema`): what their structured
//! results hold, so clients can validate and models can rely on them. The
//! run result is the execution contract's result (bounded, see
//! [`content::structured`](crate::content)).

use serde_json::{Value, json};

/// A policy violation or syntax error, located in the code.
fn violation() -> Value {
    json!({
        "type": "object",
        "properties": {
            "rule": {"type": "string", "description": "Stable rule code, e.g. `blocked-import` or `syntax-error`"},
            "message": {"type": "string", "description": "What is wrong and what to do instead"},
            "line": {"type": "integer", "minimum": 1},
            "column": {"type": "integer", "minimum": 1},
            "file": {"type": "string", "description": "The input file it is in; absent for the main code"}
        },
        "required": ["rule", "message", "line", "column"]
    })
}

/// `run_python`'s structured result: the execution contract's result.
pub(crate) fn run_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean", "description": "`true` exactly when `status` is `ok`"},
            "status": {
                "type": "string",
                "enum": ["ok", "error", "syntax_error", "policy_violation", "timeout", "memory_limit", "output_limit", "killed", "sandbox_error"]
            },
            "return_code": {"type": ["integer", "null"], "description": "Exit code; the negated signal number when killed; null when the program never started"},
            "stdout": {"type": "string", "description": "Standard output, cut in the middle past 8,000 characters"},
            "stderr": {"type": "string", "description": "Standard error, cut in the middle past 4,000 characters"},
            "stdout_truncated": {"type": "boolean"},
            "stderr_truncated": {"type": "boolean"},
            "duration_ms": {"type": "number", "minimum": 0},
            "output_files": {
                "type": "object",
                "description": "Files the code wrote: name to base64 contents (up to 1 MiB in all; every file also comes as a content block)",
                "additionalProperties": {"type": "string", "contentEncoding": "base64"}
            },
            "output_files_truncated": {"type": "boolean"},
            "violations": {"type": "array", "items": violation()},
            "display": {
                "type": "array",
                "description": "What the code showed as a notebook cell would (the last expression's value, display(obj), matplotlib charts), in order: MIME type to its representation (text; base64 for images, which also come as image content blocks)",
                "items": {"type": "object", "additionalProperties": true}
            },
            "usage": {
                "type": "object",
                "properties": {
                    "cpu_ms": {"type": "number", "minimum": 0},
                    "peak_memory_kb": {"type": "integer", "minimum": 0}
                },
                "required": ["cpu_ms", "peak_memory_kb"]
            },
            "mode": {"type": "string", "enum": ["secure", "simple"]},
            "isolation": {"type": ["string", "null"], "enum": ["full", "no-cgroups", "best-effort", null]},
            "message": {"type": ["string", "null"], "description": "Why, when the status is neither `ok` nor `error`; notes on left-out files"}
        },
        "required": ["success", "status", "return_code", "stdout", "stderr", "stdout_truncated", "stderr_truncated", "duration_ms", "output_files", "violations", "mode"]
    })
}

/// `check_python`'s structured result.
pub(crate) fn check_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "ok": {"type": "boolean", "description": "The code parses and the policy allows it"},
            "status": {"type": "string", "enum": ["ok", "syntax_error", "policy_violation"]},
            "policy_checked": {"type": "boolean", "description": "Whether a policy applies (else only the syntax was checked)"},
            "violations": {"type": "array", "items": violation()}
        },
        "required": ["ok", "status", "policy_checked", "violations"]
    })
}
