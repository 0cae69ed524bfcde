//! The JSON contract, pinned by snapshots. Durations and usage vary between
//! runs and are redacted; everything else is exact.

use std::time::Duration;

use sandbox_client::{ExecutionMode, ExecutionRequest, ExecutionResult};

use crate::tier::{Tier, require};

async fn run(request: ExecutionRequest) -> serde_json::Value {
    let request = ExecutionRequest {
        mode: request.mode.or(Some(ExecutionMode::Simple)),
        ..request
    };
    let result = crate::support::default_client()
        .execute_request(request)
        .await
        .unwrap();
    serde_json::to_value(&result).unwrap()
}

macro_rules! assert_result_snapshot {
    ($value:expr) => {
        insta::assert_json_snapshot!($value, {
            ".duration_ms" => "[duration_ms]",
            ".usage.cpu_ms" => "[cpu_ms]",
            ".usage.peak_memory_kb" => "[peak_memory_kb]",
        })
    };
}

#[tokio::test]
async fn success() {
    let request =
        ExecutionRequest::new("print('hello')\nopen('result.txt', 'w').write('Sum: 600\\n')");
    assert_result_snapshot!(run(request).await);
}

#[tokio::test]
async fn secure_success() {
    require!(Tier::Cgroups);
    let request =
        ExecutionRequest::new("print('hello')\nopen('result.txt', 'w').write('Sum: 600\\n')")
            .with_mode(ExecutionMode::Secure);
    assert_result_snapshot!(run(request).await);
}

#[tokio::test]
async fn syntax_error() {
    assert_result_snapshot!(run(ExecutionRequest::new("x = 1\nprint(x +)\n")).await);
}

#[tokio::test]
async fn error() {
    assert_result_snapshot!(run(ExecutionRequest::new("print(1/0)")).await);
}

#[tokio::test]
async fn timeout() {
    let request = ExecutionRequest::new("print('started', flush=True)\nwhile True: pass")
        .with_timeout(Duration::from_millis(500));
    assert_result_snapshot!(run(request).await);
}

/// `filename` names the code in syntax errors, the compiler's refusals and
/// policy diagnostics; names that mean other origins to the interpreter
/// (`<frozen …>`, `<string>`) or carry directories are refused by name.
#[tokio::test]
async fn the_codes_file_name_is_used_and_checked() {
    for mode in [ExecutionMode::Simple, ExecutionMode::Secure] {
        let client = crate::support::default_client();
        let syntax = client
            .execute_request(
                ExecutionRequest::new("x = (\n")
                    .with_filename("job.py")
                    .with_mode(mode),
            )
            .await
            .unwrap();
        assert!(
            syntax.stderr.starts_with("  File \"job.py\", line "),
            "{mode}: {}",
            syntax.stderr
        );
        // Found by the interpreter's compiler, not the parser before it.
        let compiled = client
            .execute_request(
                ExecutionRequest::new("return 1\n")
                    .with_filename("job.py")
                    .with_mode(mode),
            )
            .await
            .unwrap();
        assert_eq!(
            compiled.status,
            sandbox_client::Status::SyntaxError,
            "{mode}"
        );
        assert!(
            compiled.stderr.contains("File \"job.py\", line 1"),
            "{mode}: {}",
            compiled.stderr
        );
        for bad in [
            "<frozen zipimport>",
            "<string>",
            "dir/job.py",
            "../job.py",
            ".job.py",
            "a b.py",
            "",
        ] {
            let err = client
                .execute_request(
                    ExecutionRequest::new("print(1)")
                        .with_filename(bad)
                        .with_mode(mode),
                )
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("`filename`"), "{bad:?}: {err}");
        }
    }
}

/// The original's curl body is a valid request, unknown fields are
/// rejected by name, and results survive a round trip.
#[test]
fn requests_parse_strictly() {
    let body = r#"{"code": "print(\"Hello, World!\")", "timeout": 30, "allow_network": false}"#;
    let request: ExecutionRequest = serde_json::from_str(body).unwrap();
    assert_eq!(request.timeout, Some(Duration::from_secs(30)));
    assert_eq!(request.allow_network, Some(false));

    let with_file = r#"{"code": "", "input_files": {"data.csv": "aWQsdmFsdWUK"}}"#;
    let request: ExecutionRequest = serde_json::from_str(with_file).unwrap();
    assert_eq!(request.input_files["data.csv"], b"id,value\n");

    let typo = serde_json::from_str::<ExecutionRequest>(r#"{"code": "", "timout": 3}"#);
    assert!(
        typo.unwrap_err()
            .to_string()
            .contains("unknown field `timout`")
    );
    let bad_b64 =
        serde_json::from_str::<ExecutionRequest>(r#"{"code": "", "input_files": {"a": "%%%"}}"#);
    assert!(
        bad_b64
            .unwrap_err()
            .to_string()
            .contains("file `a` is not valid base64")
    );
    let negative = serde_json::from_str::<ExecutionRequest>(r#"{"code": "", "timeout": -1}"#);
    assert!(negative.unwrap_err().to_string().contains("timeout -1"));
    let missing = serde_json::from_str::<ExecutionRequest>(r#"{"timeout": 1}"#);
    assert!(
        missing
            .unwrap_err()
            .to_string()
            .contains("missing field `code`")
    );
}

#[tokio::test]
async fn results_round_trip_through_json() {
    let result = crate::support::default_client()
        .execute("open('a.bin', 'wb').write(bytes(range(256)))")
        .await
        .unwrap();
    let text = serde_json::to_string(&result).unwrap();
    let back: ExecutionResult = serde_json::from_str(&text).unwrap();
    assert_eq!(back, result);
}
