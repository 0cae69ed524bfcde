//! What only the interpreter's compiler refuses (the parser before it
//! accepts it): a `syntax_error` result with the user's line and none of
//! the sandbox's own frames, in both modes and through the server; and a
//! script that opens with a byte-order mark runs, as Python runs it.

use sandbox_client::{ClientConfig, ExecutionMode, PolicyChoice, SandboxClient, Status};
use serde_json::json;

use crate::serving::{TestServer, execute};
use crate::support::MODES;

/// Code the parser takes and the compiler refuses, the line it names, and
/// words of the compiler's message.
fn cases() -> Vec<(String, u32, &'static str)> {
    let nested_loops: String = (0..25)
        .map(|i| format!("{}for x{i} in y:\n", "    ".repeat(i)))
        .collect::<String>()
        + &"    ".repeat(25)
        + "pass\n";
    vec![
        ("x = 1\nreturn x\n".into(), 2, "'return' outside function"),
        ("yield 1\n".into(), 1, "'yield' outside function"),
        (
            "for x in y:\n    pass\nbreak\n".into(),
            3,
            "'break' outside loop",
        ),
        (
            "nonlocal x\n".into(),
            1,
            "nonlocal declaration not allowed at module level",
        ),
        ("def f(a, a):\n    pass\n".into(), 1, "duplicate argument"),
        ("x = 1\ny = 'a\0b'\n".into(), 2, "null bytes"),
        (nested_loops, 21, "too many statically nested blocks"),
    ]
}

fn client(mode: ExecutionMode) -> SandboxClient {
    SandboxClient::from_config(ClientConfig {
        mode,
        policy: PolicyChoice::Off,
        ..crate::support::config()
    })
    .unwrap()
}

#[tokio::test]
async fn what_only_the_compiler_refuses_is_a_syntax_error_with_the_users_line() {
    for mode in MODES {
        let client = client(mode);
        for (code, line, words) in cases() {
            let result = client.execute(code.as_str()).await.unwrap();
            assert_eq!(
                result.status,
                Status::SyntaxError,
                "{mode:?} {code:?}: {result:?}"
            );
            assert!(!result.success);
            assert_eq!(result.return_code, None, "nothing ran");
            let violation = &result.violations[0];
            assert_eq!(violation.rule, "syntax-error");
            assert_eq!(violation.line, line, "{code:?}: {violation:?}");
            assert!(violation.message.contains(words), "{code:?}: {violation:?}");
            // Python's own rendering of the user's line, none of ours.
            assert!(
                result.stderr.starts_with("  File \"main.py\", line "),
                "{}",
                result.stderr
            );
            assert!(!result.stderr.contains("<string>"), "{}", result.stderr);
            assert!(!result.stderr.contains("Traceback"), "{}", result.stderr);
        }
    }
}

#[tokio::test]
async fn a_script_with_a_byte_order_mark_runs() {
    for mode in MODES {
        let result = client(mode)
            .execute("\u{feff}print('with a BOM')\n")
            .await
            .unwrap();
        assert_eq!(result.status, Status::Ok, "{result:?}");
        assert_eq!(result.stdout, "with a BOM\n");
    }
}

#[tokio::test]
async fn the_server_answers_compiler_refusals_as_syntax_errors() {
    let server = TestServer::start(&[], &[]);
    let response = execute(&server, &json!({"code": "x = 1\nreturn x\n"}), None).await;
    assert_eq!(response.status(), 200);
    let result: serde_json::Value = response.json().await.unwrap();
    assert_eq!(result["status"], "syntax_error", "{result}");
    assert_eq!(result["violations"][0]["line"], 2, "{result}");
}
