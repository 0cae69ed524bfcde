//! Decoding `POST /execute` bodies with answers that name the problem: not
//! JSON (400), not an object, a field of the wrong type, or a value outside
//! what this server allows (422, naming the field, the expected type and
//! the limits in force).

use serde_json::{Map, Value};

use sandbox_client::ExecutionRequest;
use sandbox_core::limits::{MAX_CODE_BYTES, MIN_MEMORY_MB};

use crate::config::ServerConfig;
use crate::error::{ApiFailure, Code};

/// The shortest `timeout` accepted: one millisecond.
pub const MIN_TIMEOUT_SECS: f64 = 0.001;

/// The fields of an execution request.
const FIELDS: &[&str] = &[
    "code",
    "mode",
    "timeout",
    "memory_mb",
    "allow_network",
    "input_files",
];

/// Decodes an execution request from `body` and checks each field against
/// this server's limits.
///
/// # Errors
/// 400 for a body that is not JSON; 422 naming the field otherwise.
pub fn decode(body: &[u8], config: &ServerConfig) -> Result<ExecutionRequest, ApiFailure> {
    // The usual case, straight into the request (input files decoded as
    // they are read, so a body is held about once as text and once
    // decoded); serde would take an array as the struct's fields in order,
    // so only an object goes this way.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{')
        && let Ok(request) = serde_json::from_slice::<ExecutionRequest>(body)
    {
        check_request(&request, config)?;
        // A timeout a hair over the limit rounds to it in nanoseconds: the
        // number as sent decides.
        if request.timeout == Some(config.limits.timeout)
            && let Ok(Raw {
                timeout: Some(secs),
            }) = serde_json::from_slice::<Raw>(body)
            && secs > config.limits.timeout.as_secs_f64()
        {
            return Err(ApiFailure::invalid(format!(
                "`timeout` must be {}, got a number ({secs})",
                timeout_range(config)
            )));
        }
        return Ok(request);
    }
    // Something is wrong: find what, field by field.
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        ApiFailure::new(
            Code::MalformedJson,
            format!("the request body is not valid JSON: {err}"),
        )
    })?;
    let Value::Object(mut fields) = value else {
        return Err(ApiFailure::invalid(format!(
            "the request body must be a JSON object such as {{\"code\": \"print(1)\"}}, got {}",
            kind(&value)
        )));
    };
    check_fields(&fields, config)?;
    // JSON has one kind of number: `16.0` is the whole number 16.
    if let Some(Value::Number(n)) = fields.get("memory_mb")
        && let Some(whole) = whole_number(n)
    {
        fields.insert("memory_mb".into(), Value::from(whole));
    }
    serde_path_to_error::deserialize(Value::Object(fields)).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if path == "." {
            ApiFailure::invalid(format!("invalid request: {inner}"))
        } else {
            ApiFailure::invalid(format!("`{path}`: {inner}"))
        }
    })
}

/// The timeout exactly as sent (every other field skipped unread).
#[derive(serde::Deserialize)]
struct Raw {
    timeout: Option<f64>,
}

/// The range checks of [`check_fields`] on a request that decoded.
fn check_request(request: &ExecutionRequest, config: &ServerConfig) -> Result<(), ApiFailure> {
    if request.code.len() > MAX_CODE_BYTES {
        return Err(code_too_long(request.code.len()));
    }
    if let Some(timeout) = request.timeout
        && (timeout.as_secs_f64() < MIN_TIMEOUT_SECS || timeout > config.limits.timeout)
    {
        return Err(ApiFailure::invalid(format!(
            "`timeout` must be {}, got a number ({})",
            timeout_range(config),
            timeout.as_secs_f64()
        )));
    }
    if let Some(mb) = request.memory_mb
        && !(MIN_MEMORY_MB..=config.limits.memory_mb).contains(&mb)
    {
        return Err(ApiFailure::invalid(format!(
            "`memory_mb` must be {}, got a number ({mb})",
            memory_range(config)
        )));
    }
    Ok(())
}

fn code_too_long(len: usize) -> ApiFailure {
    ApiFailure::invalid(format!(
        "`code` is {len} bytes, the limit is {MAX_CODE_BYTES} bytes"
    ))
}

fn timeout_range(config: &ServerConfig) -> String {
    format!(
        "a number of seconds from {MIN_TIMEOUT_SECS} to {} (this server's limit)",
        config.limits.timeout.as_secs_f64()
    )
}

fn memory_range(config: &ServerConfig) -> String {
    format!(
        "a whole number of MiB from {MIN_MEMORY_MB} to {} (this server's limits)",
        config.limits.memory_mb
    )
}

/// `n` as a whole number (`16` or `16.0`), if it is one.
fn whole_number(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
            .map(|f| f as u64)
    })
}

/// What kind of JSON value `value` is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks the type and range of every field, with the server's limits.
fn check_fields(fields: &Map<String, Value>, config: &ServerConfig) -> Result<(), ApiFailure> {
    let wrong = |field: &str, expected: String, got: &Value| {
        let shown = match got {
            Value::Number(n) => format!("{} ({n})", kind(got)),
            _ => kind(got).to_owned(),
        };
        Err(ApiFailure::invalid(format!(
            "`{field}` must be {expected}, got {shown}"
        )))
    };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiFailure::invalid(format!(
            "unknown field `{}`; the fields are {}",
            unknown.escape_debug(),
            FIELDS.join(", ")
        )));
    }
    match fields.get("code") {
        None => {
            return Err(ApiFailure::invalid(
                "`code` is missing: send the Python source as a string",
            ));
        }
        Some(Value::String(code)) if code.len() > MAX_CODE_BYTES => {
            return Err(code_too_long(code.len()));
        }
        Some(Value::String(_)) => {}
        Some(other) => return wrong("code", "a string of Python source".into(), other),
    }
    match fields.get("mode") {
        None | Some(Value::Null) => {}
        Some(Value::String(mode)) if matches!(mode.as_str(), "secure" | "simple") => {}
        Some(other) => return wrong("mode", "`\"secure\"` or `\"simple\"`".into(), other),
    }
    let max_timeout = config.limits.timeout.as_secs_f64();
    match fields.get("timeout") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n))
            if n.as_f64()
                .is_some_and(|secs| (MIN_TIMEOUT_SECS..=max_timeout).contains(&secs)) => {}
        Some(other) => return wrong("timeout", timeout_range(config), other),
    }
    let max_memory = config.limits.memory_mb;
    match fields.get("memory_mb") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n))
            if whole_number(n).is_some_and(|mb| (MIN_MEMORY_MB..=max_memory).contains(&mb)) => {}
        Some(other) => return wrong("memory_mb", memory_range(config), other),
    }
    match fields.get("allow_network") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(other) => return wrong("allow_network", "`true` or `false`".into(), other),
    }
    match fields.get("input_files") {
        None => {}
        Some(Value::Object(files)) => {
            if let Some((name, other)) = files.iter().find(|(_, v)| !v.is_string()) {
                return wrong(
                    &format!("input_files.{}", name.escape_debug()),
                    "the file's contents as a base64 string".into(),
                    other,
                );
            }
        }
        Some(other) => {
            return wrong(
                "input_files",
                "an object of file names to base64 contents".into(),
                other,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &str) -> (u16, String) {
        let failure = decode(body.as_bytes(), &ServerConfig::default()).unwrap_err();
        (failure.code.status().as_u16(), failure.message)
    }

    #[test]
    fn each_problem_is_named() {
        for (body, status, needle) in [
            ("{", 400, "not valid JSON"),
            ("[\"print(1)\"]", 422, "must be a JSON object"),
            ("42", 422, "got a number"),
            (
                "{\"code\": \"x\", \"mode\": true}",
                422,
                "`mode` must be `\"secure\"` or `\"simple\"`, got a boolean",
            ),
            (
                "{\"code\": \"x\", \"timeout\": 1e20}",
                422,
                "to 300 (this server's limit), got a number (1e+20)",
            ),
            (
                "{\"code\": \"x\", \"timeout\": -1}",
                422,
                "from 0.001 to 300",
            ),
            (
                "{\"code\": \"x\", \"timeout\": 5e-324}",
                422,
                "from 0.001 to 300",
            ),
            (
                "{\"code\": \"x\", \"timeout\": 300.00000000000006}",
                422,
                "from 0.001 to 300",
            ),
            (
                "{\"code\": \"x\", \"timeout\": 301}",
                422,
                "to 300 (this server's limit), got a number (301)",
            ),
            (
                "{\"code\": \"x\", \"memory_mb\": 8}",
                422,
                "from 16 to 1024",
            ),
            (
                "{\"code\": \"x\", \"memory_mb\": 4096}",
                422,
                "from 16 to 1024 (this server's limits)",
            ),
            ("{\"code\": \"x\", \"memory_mb\": 1.5}", 422, "whole number"),
            (
                "{\"code\": \"x\", \"memory_mb\": 2e3}",
                422,
                "from 16 to 1024",
            ),
            ("{\"code\": 1}", 422, "`code` must be a string"),
            ("{}", 422, "`code` is missing"),
            (
                "{\"code\": \"x\", \"extra\": 1}",
                422,
                "unknown field `extra`",
            ),
            (
                "{\"code\": \"x\", \"allow_network\": \"yes\"}",
                422,
                "`allow_network` must be `true` or `false`",
            ),
            (
                "{\"code\": \"x\", \"input_files\": []}",
                422,
                "`input_files` must be an object",
            ),
            (
                "{\"code\": \"x\", \"input_files\": {\"a\": 1}}",
                422,
                "`input_files.a` must be",
            ),
            (
                "{\"code\": \"x\", \"input_files\": {\"a\": \"***\"}}",
                422,
                "not valid base64",
            ),
        ] {
            let (got_status, message) = refused(body);
            assert_eq!(got_status, status, "{body}: {message}");
            assert!(message.contains(needle), "{body}: {message}");
        }
    }

    #[test]
    fn a_valid_request_decodes() {
        let request = decode(
            br#"{"code": "print(1)", "mode": "secure", "timeout": 2.5, "memory_mb": 64, "allow_network": false, "input_files": {"a.txt": "aGk="}}"#,
            &ServerConfig::default(),
        )
        .unwrap();
        assert_eq!(request.code, "print(1)");
        assert_eq!(request.input_files["a.txt"], b"hi");
        assert_eq!(request.memory_mb, Some(64));
        let request = decode(
            br#"{"code": "", "memory_mb": 16.0}"#,
            &ServerConfig::default(),
        )
        .unwrap();
        assert_eq!(request.memory_mb, Some(16));
    }
}
