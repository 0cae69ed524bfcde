//! The original README's examples, with its exact outputs, in both modes.

use sandbox_client::Status;

use crate::support::{MODES, client};
use crate::tier::{Tier, require};

// The original README's snippets, as the runnable examples use them.
const FIBONACCI: &str = include_str!("../examples/python/fibonacci.py");

const CSV_TOTAL: &str = include_str!("../examples/python/csv_total.py");

#[tokio::test]
async fn fibonacci() {
    for mode in MODES {
        let result = client(mode).execute(FIBONACCI).await.unwrap();
        assert_eq!(
            result.stdout, "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n",
            "{mode}: {}",
            result.stderr
        );
        assert!(result.success);
        assert_eq!(result.status, Status::Ok);
        assert_eq!(result.return_code, Some(0));
        assert_eq!(result.stderr, "");
        assert_eq!(result.mode, mode);
    }
}

#[tokio::test]
async fn circle_area() {
    let code = include_str!("../examples/python/circle_area.py");
    for mode in MODES {
        let result = client(mode).execute(code).await.unwrap();
        assert_eq!(
            result.stdout, "Circle area: 78.54\n",
            "{mode}: {}",
            result.stderr
        );
        assert!(result.success);
    }
}

#[tokio::test]
async fn csv_total_with_files_in_and_out() {
    for mode in MODES {
        let result = client(mode)
            .execute_with_files(
                CSV_TOTAL,
                [("data.csv", b"id,value\n1,100\n2,200\n3,300\n".to_vec())],
            )
            .await
            .unwrap();
        assert_eq!(result.stdout, "Total: 600\n", "{mode}: {}", result.stderr);
        assert_eq!(result.file("result.txt"), Some(&b"Sum: 600\n"[..]));
        // The unchanged input is not reported as an output.
        assert_eq!(
            result.output_files.len(),
            1,
            "{:?}",
            result.output_files.keys()
        );
    }
}

#[tokio::test]
async fn zero_division_error() {
    // Its message is the contract's, with no note of a weaker level.
    require!(Tier::Cgroups);
    for mode in MODES {
        let result = client(mode).execute("print(1/0)").await.unwrap();
        assert!(!result.success);
        assert_eq!(result.status, Status::Error);
        assert_eq!(result.return_code, Some(1));
        let stderr = &result.stderr;
        assert!(
            stderr.starts_with("Traceback (most recent call last):\n"),
            "{stderr}"
        );
        assert!(
            stderr.contains("File \"main.py\", line 1, in <module>"),
            "{stderr}"
        );
        assert!(
            stderr.ends_with("ZeroDivisionError: division by zero\n"),
            "{stderr}"
        );
        // The bootstrap's own frames stay out of the user's traceback.
        assert!(!stderr.contains("<string>"), "{stderr}");
        assert_eq!(result.message, None);
    }
}

/// The cargo examples, built once by cargo (a no-op when they are fresh)
/// and run as programs; their output is what a reader sees.
mod programs {
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::OnceLock;

    use crate::tier::{Tier, require};

    /// Builds every example of this package and returns where each binary is.
    fn built() -> &'static Vec<(String, PathBuf)> {
        static BUILT: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
        BUILT.get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut command = Command::new(cargo);
            // What cargo set for this test run must not reach the nested
            // cargo: build scripts watching such variables (ring's) would
            // rerun and everything above them rebuild, here and in the next
            // plain `cargo` command.
            for (name, _) in std::env::vars_os() {
                if name.to_str().is_some_and(is_cargo_run_variable) {
                    command.env_remove(name);
                }
            }
            let output = command
                .args([
                    "build",
                    "--quiet",
                    "--package",
                    "sandbox-suite",
                    "--examples",
                ])
                .arg("--message-format=json")
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .expect("run cargo build --examples");
            assert!(
                output.status.success(),
                "cargo build --examples failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .filter(|msg| msg["target"]["kind"][0] == "example")
                .filter_map(|msg| {
                    let name = msg["target"]["name"].as_str()?.to_owned();
                    let exe = msg["executable"].as_str()?;
                    Some((name, PathBuf::from(exe)))
                })
                .collect()
        })
    }

    /// Variables cargo sets for the program it runs (see `xtask`'s twin).
    fn is_cargo_run_variable(name: &str) -> bool {
        [
            "CARGO_MANIFEST_",
            "CARGO_PKG_",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_BIN_EXE_",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_CURRENT_DIR",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
    }

    /// Runs example `name` and returns its stdout; it must exit 0.
    fn run(name: &str) -> String {
        run_with(name, &[])
    }

    /// Runs example `name` with `args`; it must exit 0.
    fn run_with(name: &str, args: &[&std::ffi::OsStr]) -> String {
        let (_, exe) = built()
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("example `{name}` was not built"));
        let mut command = Command::new(exe);
        for (var, _) in std::env::vars() {
            if var.starts_with("SANDBOX_") {
                command.env_remove(var);
            }
        }
        command.env(
            sandbox_client::vars::ISOLATION,
            crate::tier::isolation().to_string(),
        );
        let output = command.args(args).output().expect("run the example");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{name} failed: {}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    fn assert_lines(name: &str, stdout: &str, lines: &[&str]) {
        for line in lines {
            assert!(
                stdout.lines().any(|l| l == *line),
                "{name}: no line {line:?} in:\n{stdout}"
            );
        }
    }

    #[test]
    fn the_originals_basic_files_and_error_examples() {
        // The example programs run at the library's default level, full.
        require!(Tier::Cgroups);
        let out = run("basic_usage");
        assert!(
            out.starts_with("Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\nCircle area: 78.54\n"),
            "{out}"
        );
        assert_eq!(run("with_files"), "Total: 600\nSum: 600\n");
        let out = run("error_handling");
        assert!(
            out.starts_with("Execution failed with code 1\nError: Traceback"),
            "{out}"
        );
        assert!(
            out.ends_with("ZeroDivisionError: division by zero\n"),
            "{out}"
        );
    }

    #[test]
    fn data_analysis_keeps_its_dataframe_across_steps_and_returns_the_chart() {
        require!(Tier::DataStack);
        let out_dir = tempfile::tempdir().unwrap();
        let out = run_with("data_analysis", &[out_dir.path().as_os_str()]);
        assert_lines(
            "data_analysis",
            &out,
            &[
                "rows, columns: (36, 3)",
                "north   1749  145.8",
                "west    1989  165.8",
                "summary has an HTML table: true",
                "best region: west (1989)",
                r#"files in the session: [("sales.csv", 656)]"#,
            ],
        );
        let png = std::fs::read(out_dir.path().join("revenue.png")).expect("the chart is saved");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        // A 600x400 line chart with a legend: tens of kilobytes, not a stub.
        assert!(
            (10_000..500_000).contains(&png.len()),
            "{} bytes",
            png.len()
        );
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        // figsize 6x4 at 100 dpi, trimmed to what was drawn.
        assert!(
            (500..=600).contains(&width) && (330..=400).contains(&height),
            "{width}x{height}"
        );
    }

    #[test]
    fn client_usage_gets_identical_results_locally_and_remotely() {
        // The example programs run at the library's default level, full.
        require!(Tier::Cgroups);
        let out = run("client_usage");
        assert!(out.starts_with("remote server: http://127.0.0.1:"), "{out}");
        assert_lines(
            "client_usage",
            &out,
            &[
                "== fibonacci: local ok / remote ok, identical: true",
                "Fibonacci: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]",
                "== circle area: local ok / remote ok, identical: true",
                "Circle area: 78.54",
                "== csv total: local ok / remote ok, identical: true",
                "Total: 600",
                "result.txt: Sum: 600",
                "== error: local error / remote error, identical: true",
                "stderr: ZeroDivisionError: division by zero",
                "identical results: true",
            ],
        );
    }

    #[test]
    fn agent_integration_runs_the_loop_and_shows_the_mcp_entry() {
        // The example programs run at the library's default level, full.
        require!(Tier::Cgroups);
        let out = run("agent_integration");
        assert!(
            out.starts_with("== python_executor: Execute Python code safely in a sandbox\n45\nZeroDivisionError: division by zero\n"),
            "{out}"
        );
        assert_lines(
            "agent_integration",
            &out,
            &[
                r#"== tools offered to the model: "run_python" with parameters ["code"]"#,
                "Error: the sandbox policy refuses this code; nothing ran. Each problem below names the rule and what to use instead.",
                "1 | import os",
                "200.5",
                "-- model answers: Total sales: 200.5",
                "(4 messages in the conversation)",
                r#"      "command": "sandbox""#,
            ],
        );
        // The refused call came first, the corrected one second.
        let refused = out.find("blocked-import").expect("the refusal");
        let answered = out.find("\n200.5\n").expect("the corrected run");
        assert!(refused < answered, "{out}");
    }

    #[test]
    fn security_tests_show_each_attack_refused_or_contained() {
        // The example programs run at the library's default level, full.
        require!(Tier::Cgroups);
        // The secret the first attack goes for exists on this host.
        assert!(std::path::Path::new("/etc/shadow").exists());
        let out = run("security_tests");
        assert_lines(
            "security_tests",
            &out,
            &[
                "== host file read",
                "  default policy: error - FileNotFoundError: [Errno 2] No such file or directory: '/etc/shadow'",
                "  policy off:     error - FileNotFoundError: [Errno 2] No such file or directory: '/etc/shadow'",
                "== subprocess",
                "  default policy: policy_violation - blocked-import (line 2)",
                "  policy off:     error - OSError: [Errno 38] Function not implemented: '/bin/sh'",
                "== network",
                "  default policy: policy_violation - blocked-import (line 3)",
                "  policy off:     error - PermissionError: [Errno 1] Operation not permitted",
                "== fork bomb",
                "  default policy: policy_violation - blocked-import (line 2)",
                "== memory bomb",
                "  default policy: memory_limit - memory limit of 64 MiB reached; the kernel stopped the program",
                "  policy off:     memory_limit - memory limit of 64 MiB reached; the kernel stopped the program",
                "== timeout",
                "  default policy: timeout - execution timed out after 3 s and was killed",
                "  policy off:     timeout - execution timed out after 3 s and was killed",
            ],
        );
        // The fork bomb runs into the memory or the pids limit first,
        // depending on timing; either way it is stopped, never `ok`, and
        // an error is the pids limit's refusal, not a broken script.
        let fork = out
            .split("== fork bomb\n")
            .nth(1)
            .expect("fork bomb section");
        let policy_off = fork.lines().nth(1).expect("policy off line");
        assert!(
            policy_off.starts_with("  policy off:     memory_limit")
                || policy_off.starts_with("  policy off:     killed")
                || (policy_off.starts_with("  policy off:     error")
                    && policy_off.contains("BlockingIOError")),
            "{policy_off}"
        );
    }
}
