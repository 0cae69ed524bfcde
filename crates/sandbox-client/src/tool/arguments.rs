//! Reading a model's tool call: JSON arguments into an execution request,
//! with errors worded so the model can correct its next call.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::ExecutionRequest;

/// Marks an `input_files` value as base64 (binary contents); any other
/// string is the file's text.
pub const BASE64_PREFIX: &str = "base64:";

/// Why a tool call's arguments cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentError {
    /// The arguments are not JSON.
    #[error(
        "the arguments are not valid JSON ({reason}); send an object such as {{\"code\": \"print(1)\"}}"
    )]
    NotJson {
        /// The parser's explanation.
        reason: String,
    },
    /// The arguments are JSON but not an object (or a string of code).
    #[error("the arguments must be an object such as {{\"code\": \"print(1)\"}}, got {found}")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// `code` is missing.
    #[error("`code` is required: the Python source to run")]
    MissingCode,
    /// A field has the wrong type or value.
    #[error("`{field}` {problem}")]
    Invalid {
        /// The field, e.g. `timeout` or `input_files.data.csv`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A field the tool does not take.
    #[error("unknown argument `{field}`; this tool takes {expected}")]
    Unknown {
        /// The field.
        field: String,
        /// The fields it takes.
        expected: &'static str,
    },
}

const RUN_FIELDS: &str = "`code`, `input_files` and `timeout`";
const CHECK_FIELDS: &str = "`code` and `input_files`";

/// Reads a `run_python` call: `{"code", "input_files"?, "timeout"?}`, or a
/// bare JSON string taken as the code (some frameworks send single-argument
/// tools that way).
///
/// # Errors
///
/// [`ArgumentError`] naming the argument that is missing, of the wrong
/// type or out of range.
pub fn parse_arguments(arguments: &str) -> Result<ExecutionRequest, ArgumentError> {
    let value: Value = serde_json::from_str(arguments).map_err(|err| ArgumentError::NotJson {
        reason: err.to_string(),
    })?;
    let object = match value {
        Value::String(code) => return Ok(ExecutionRequest::new(code)),
        Value::Object(object) => object,
        other => {
            return Err(ArgumentError::NotAnObject {
                found: type_name(&other),
            });
        }
    };
    parse_run_arguments(&object)
}

/// Reads a `run_python` call whose arguments are already an object (as MCP
/// delivers them).
///
/// # Errors
///
/// [`ArgumentError`] naming the argument that is missing, of the wrong
/// type or out of range.
pub fn parse_run_arguments(
    arguments: &Map<String, Value>,
) -> Result<ExecutionRequest, ArgumentError> {
    request_from_object(arguments, true)
}

/// Reads a `check_python` call: `{"code", "input_files"?}`.
///
/// # Errors
///
/// [`ArgumentError`] naming the argument that is missing, of the wrong
/// type or out of range.
pub fn parse_check_arguments(
    arguments: &Map<String, Value>,
) -> Result<ExecutionRequest, ArgumentError> {
    request_from_object(arguments, false)
}

/// Reads the arguments object of either tool (`timeout` only when
/// `with_timeout`).
pub(crate) fn request_from_object(
    object: &Map<String, Value>,
    with_timeout: bool,
) -> Result<ExecutionRequest, ArgumentError> {
    let expected = if with_timeout {
        RUN_FIELDS
    } else {
        CHECK_FIELDS
    };
    let known = |k: &str| matches!(k, "code" | "input_files") || (with_timeout && k == "timeout");
    if let Some(field) = object.keys().find(|k| !known(k)) {
        return Err(ArgumentError::Unknown {
            field: field.clone(),
            expected,
        });
    }
    let code = match object.get("code") {
        None | Some(Value::Null) => return Err(ArgumentError::MissingCode),
        Some(Value::String(code)) => code.clone(),
        Some(other) => {
            return Err(invalid(
                "code",
                format!("must be a string, got {}", type_name(other)),
            ));
        }
    };
    let mut request = ExecutionRequest::new(code);
    request.input_files = input_files(object.get("input_files"))?;
    if with_timeout {
        request.timeout = timeout(object.get("timeout"))?;
    }
    Ok(request)
}

fn input_files(value: Option<&Value>) -> Result<BTreeMap<String, Vec<u8>>, ArgumentError> {
    let files = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(files)) => files,
        Some(other) => {
            return Err(invalid(
                "input_files",
                format!(
                    "must be an object of file name to contents, got {}",
                    type_name(other)
                ),
            ));
        }
    };
    let mut out = BTreeMap::new();
    for (name, contents) in files {
        let field = || format!("input_files.{name}");
        let Value::String(contents) = contents else {
            return Err(invalid(
                &field(),
                format!(
                    "must be a string (the file's text, or `{BASE64_PREFIX}` and base64), got {}",
                    type_name(contents)
                ),
            ));
        };
        let bytes = match contents.strip_prefix(BASE64_PREFIX) {
            Some(encoded) => base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|err| {
                    invalid(
                        &field(),
                        format!("is not valid base64 after `{BASE64_PREFIX}`: {err}"),
                    )
                })?,
            None => contents.clone().into_bytes(),
        };
        out.insert(name.clone(), bytes);
    }
    Ok(out)
}

fn timeout(value: Option<&Value>) -> Result<Option<Duration>, ArgumentError> {
    let seconds = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        // Models sometimes quote numbers.
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    let problem = || "must be a number of seconds greater than 0".to_owned();
    let seconds = seconds.ok_or_else(|| invalid("timeout", problem()))?;
    sandbox_core::seconds::from_f64(seconds, None)
        .map(Some)
        .map_err(|_| invalid("timeout", problem()))
}

fn invalid(field: &str, problem: String) -> ArgumentError {
    ArgumentError::Invalid {
        field: field.to_owned(),
        problem,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
