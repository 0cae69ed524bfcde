//! End-to-end tests of the `sandbox` binary.
//!
//! Every test starts the real binary (`CARGO_BIN_EXE_sandbox`) in a fresh
//! temporary directory with every `SANDBOX_*` variable removed from its
//! environment, so the host's settings and any `.env` file around the
//! repository cannot leak in, and tests can run in parallel.

mod common;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The original tool's CSV example input.
const CSV: &str = "id,value\n1,100\n2,200\n3,300\n";

/// The original tool's CSV example: sums `data.csv`, prints the total and
/// writes `result.txt`.
const CSV_CODE: &str = r#"import csv
with open("data.csv", newline="") as f:
    total = sum(int(row["value"]) for row in csv.DictReader(f))
print(f"Total: {total}")
with open("result.txt", "w") as f:
    f.write(f"Sum: {total}\n")
"#;

/// Well within reach of a 0.5 s timeout even on a loaded machine, and far
/// below the 30 s default.
const FAST_ENOUGH: Duration = Duration::from_secs(3);

/// A fresh working directory to run `sandbox` in.
struct Workspace {
    dir: TempDir,
}

/// What one run of `sandbox` did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Workspace {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap_or_else(|err| panic!("create a temp dir: {err}")),
        }
    }

    /// An absolute path inside the workspace.
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `contents` to `rel` (creating parent dirs) and returns its path.
    fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|err| panic!("create {}: {err}", parent.display()));
        }
        fs::write(&path, contents).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
        path
    }

    /// `sandbox` with `args`, run in this workspace with a clean environment:
    /// no `SANDBOX_*` or `RUST_LOG` variables and a fixed help width.
    fn sandbox<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = common::clean_command(env!("CARGO_BIN_EXE_sandbox"));
        cmd.env("COLUMNS", "100")
            .current_dir(self.dir.path())
            .args(args);
        cmd
    }

    /// Runs `sandbox run [args] -` with `code` on standard input.
    fn run_stdin(&self, args: &[&str], code: &str) -> Run {
        let mut full = vec!["run"];
        full.extend_from_slice(args);
        full.push("-");
        run(&mut self.sandbox(full), code)
    }

    /// Code that creates `marker` (an absolute path) when it runs; simple mode
    /// does not isolate the file system, so its absence proves nothing ran.
    fn marker_code(&self) -> (String, PathBuf) {
        let marker = self.path("ran.marker");
        let code = format!("open({:?}, 'w').close()\nprint('ran')\n", marker);
        (code, marker)
    }
}

/// Runs `cmd` with `stdin` as its standard input and collects everything.
fn run(cmd: &mut Command, stdin: &str) -> Run {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("start the sandbox binary: {err}"));
    let Some(mut pipe) = child.stdin.take() else {
        panic!("stdin is piped");
    };
    if let Err(err) = pipe.write_all(stdin.as_bytes()) {
        // The command may exit (e.g. on a usage error) before reading it.
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
    }
    drop(pipe);
    let output = child
        .wait_with_output()
        .unwrap_or_else(|err| panic!("wait for the sandbox: {err}"));
    let elapsed = start.elapsed();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed,
    };
    assert!(
        output.status.code().is_some(),
        "sandbox itself died by a signal: {run:#?}"
    );
    run
}

/// Asserts the exit code, showing the whole run when it differs.
#[track_caller]
fn assert_code(run: &Run, expected: i32) {
    assert_eq!(run.code, expected, "unexpected exit code: {run:#?}");
}

/// Parses the `--json` output.
#[track_caller]
fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {run:#?}"))
}

/// The lines of stderr the sandbox itself wrote (the `sandbox:` ones).
fn sandbox_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|line| line.starts_with("sandbox:"))
        .collect()
}

/// Asserts that nothing ran: a usage error (exit 2) that names `needles`,
/// no program output, and no marker file.
#[track_caller]
fn assert_rejected(run: &Run, marker: &Path, needles: &[&str]) {
    assert_code(run, 2);
    assert_eq!(run.stdout, "", "nothing may run: {run:#?}");
    assert!(!marker.exists(), "the program ran: {run:#?}");
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr should mention {needle:?}: {run:#?}"
        );
    }
}

// --- Code sources, pass-through and the program's exit code -----------------

#[test]
fn code_from_stdin_runs_and_both_streams_pass_through() {
    let ws = Workspace::new();
    let run = ws.run_stdin(
        &["--policy=none"],
        "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n",
    );
    assert_code(&run, 0);
    assert_eq!(run.stdout, "to stdout\n");
    assert_eq!(run.stderr, "to stderr\n", "no sandbox notes on success");
}

#[test]
fn code_from_a_file_runs() {
    let ws = Workspace::new();
    let script = ws.write("scripts/hello.py", "print('hello from a file')\n");
    let run = run(&mut ws.sandbox(["run", path_str(&script)]), "");
    assert_code(&run, 0);
    assert_eq!(run.stdout, "hello from a file\n");
    assert_eq!(run.stderr, "");
}

#[test]
fn code_from_a_relative_file_path_runs() {
    let ws = Workspace::new();
    ws.write("hello.py", "print(6 * 7)\n");
    let run = run(&mut ws.sandbox(["run", "hello.py"]), "");
    assert_code(&run, 0);
    assert_eq!(run.stdout, "42\n");
}

/// `--allow-network` takes its value only with `=`: the file after it is
/// the program, never the flag's value.
#[test]
fn allow_network_does_not_swallow_the_file_after_it() {
    let ws = Workspace::new();
    ws.write("hello.py", "print(6 * 7)\n");
    let off = run(
        &mut ws.sandbox(["run", "--allow-network=false", "hello.py"]),
        "",
    );
    assert_code(&off, 0);
    assert_eq!(off.stdout, "42\n");
    let on = run(&mut ws.sandbox(["run", "--allow-network", "hello.py"]), "");
    assert!(!on.stderr.contains("invalid value"), "{}", on.stderr);
    // Where the network helper exists the run works; elsewhere the refusal
    // names the helper, not the argument.
    assert!(
        on.stdout == "42\n" || on.stderr.contains("network"),
        "{on:?}"
    );
}

#[test]
fn missing_code_file_is_a_usage_error() {
    let ws = Workspace::new();
    let run = run(&mut ws.sandbox(["run", "no-such-file.py"]), "");
    assert_code(&run, 2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no-such-file.py"), "{run:#?}");
}

/// With `--json`, stdout is JSON whatever happens: when nothing ran, the
/// HTTP API's error body (`{"error": {"code", "message"}}`) with the usual
/// exit code.
#[test]
fn json_without_a_result_prints_an_error_object_and_keeps_the_exit_code() {
    let ws = Workspace::new();
    let cases: [(&[&str], i32, &str, &str); 4] = [
        (
            &["run", "--json", "missing.py"],
            2,
            "invalid_request",
            "missing.py",
        ),
        (
            &["run", "--json", "--timeout", "-1", "-"],
            2,
            "invalid_request",
            "--timeout",
        ),
        (
            &["run", "--json", "--no-such-flag", "-"],
            2,
            "invalid_request",
            "--no-such-flag",
        ),
        (
            &["run", "--json", "--remote", "http://127.0.0.1:9", "-"],
            120,
            "connection_error",
            "127.0.0.1:9",
        ),
    ];
    for (args, code, error_code, mentioned) in cases {
        let run = run(&mut ws.sandbox(args), "print(1)\n");
        assert_code(&run, code);
        let value: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|err| panic!("{args:?}: stdout is not JSON ({err}): {run:#?}"));
        assert_eq!(value["error"]["code"], error_code, "{args:?}: {value}");
        let message = value["error"]["message"].as_str().expect("a message");
        assert!(message.contains(mentioned), "{args:?}: {message}");
        // The human line stays on stderr.
        assert!(run.stderr.contains(mentioned), "{args:?}: {run:#?}");
    }
    // Without --json nothing is printed on stdout.
    let run = run(&mut ws.sandbox(["run", "missing.py"]), "");
    assert_eq!(run.stdout, "");
}

/// Tracebacks, syntax errors and policy diagnostics name the script the
/// user gave, not the sandbox's own name for it.
#[test]
fn diagnostics_name_the_users_file() {
    let ws = Workspace::new();
    ws.write("jobs/agent.py", "def f():\n    1 / 0\nf()\n");
    ws.write("broken.py", "print(x +)\n");
    ws.write("blocked.py", "import subprocess\n");
    let traceback = run(&mut ws.sandbox(["run", "jobs/agent.py"]), "");
    assert_code(&traceback, 1);
    assert!(
        traceback
            .stderr
            .contains("File \"agent.py\", line 3, in <module>"),
        "{traceback:#?}"
    );
    let syntax = run(&mut ws.sandbox(["run", "broken.py"]), "");
    assert_code(&syntax, 121);
    assert!(
        syntax.stderr.starts_with("  File \"broken.py\", line 1"),
        "{syntax:#?}"
    );
    let policy = run(&mut ws.sandbox(["run", "blocked.py"]), "");
    assert_code(&policy, 122);
    assert!(policy.stderr.starts_with("blocked.py:1:8: "), "{policy:#?}");
    // Code from standard input keeps the default name.
    let stdin = ws.run_stdin(&[], "1 / 0\n");
    assert!(
        stdin.stderr.contains("File \"main.py\", line 1"),
        "{stdin:#?}"
    );
}

/// A file or module next to the script that was not passed with --input
/// gets a hint naming the option, and none once it is passed.
#[test]
fn files_next_to_the_script_get_a_hint_to_pass_them() {
    let ws = Workspace::new();
    ws.write(
        "agent.py",
        "import helper\nprint(open('data.csv').read().strip(), helper.X)\n",
    );
    ws.write("helper.py", "X = 1\n");
    ws.write("data.csv", "a,b\n");
    let first = run(&mut ws.sandbox(["run", "agent.py"]), "");
    assert_code(&first, 122);
    assert!(
        first
            .stderr
            .contains("sandbox: hint: `helper.py` is next to the script on this machine")
            && first.stderr.contains("add `--input helper.py`"),
        "{first:#?}"
    );
    let second = run(
        &mut ws.sandbox(["run", "agent.py", "--input", "helper.py"]),
        "",
    );
    assert_code(&second, 1);
    assert!(
        second
            .stderr
            .contains("sandbox: hint: `data.csv` is on this machine")
            && second.stderr.contains("add `--input data.csv`"),
        "{second:#?}"
    );
    let third = run(
        &mut ws.sandbox(["run", "agent.py", "-i", "helper.py", "-i", "data.csv"]),
        "",
    );
    assert_code(&third, 0);
    assert_eq!(third.stdout, "a,b 1\n");
    assert!(!third.stderr.contains("hint"), "{third:#?}");
    // Nothing to point at: no hint.
    let plain = ws.run_stdin(&[], "open('nowhere.csv')\n");
    assert_code(&plain, 1);
    assert!(!plain.stderr.contains("hint"), "{plain:#?}");
}

/// A script saved with a UTF-8 byte-order mark runs as Python runs it, and
/// `check` agrees.
#[test]
fn a_script_with_a_byte_order_mark_runs() {
    let ws = Workspace::new();
    ws.write("bom.py", "\u{feff}print('with a BOM')\n");
    for mode in ["secure", "simple"] {
        let run = run(&mut ws.sandbox(["run", "--mode", mode, "bom.py"]), "");
        assert_code(&run, 0);
        assert_eq!(run.stdout, "with a BOM\n", "{mode}");
    }
    let check = run(&mut ws.sandbox(["check", "bom.py"]), "");
    assert_code(&check, 0);
}

#[test]
fn program_exit_code_is_passed_through() {
    let ws = Workspace::new();
    for code in [7, 3, 200] {
        let run = ws.run_stdin(&[], &format!("raise SystemExit({code})\n"));
        assert_code(&run, code);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn uncaught_exception_exits_1_with_a_traceback() {
    let ws = Workspace::new();
    let run = ws.run_stdin(&[], "print(1/0)\n");
    assert_code(&run, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("Traceback"), "{run:#?}");
    assert!(run.stderr.contains(r#"File "main.py", line 1"#), "{run:#?}");
    assert!(run.stderr.contains("ZeroDivisionError"), "{run:#?}");
    assert!(
        sandbox_lines(&run).is_empty(),
        "a plain error needs no sandbox note: {run:#?}"
    );
}

// --- Input files ---------------------------------------------------------------

#[test]
fn input_path_keeps_the_file_name() {
    let ws = Workspace::new();
    let input = ws.write("elsewhere/notes.txt", "hello input\n");
    let run = ws.run_stdin(
        &["--input", path_str(&input)],
        "print(open('notes.txt').read(), end='')\n",
    );
    assert_code(&run, 0);
    assert_eq!(run.stdout, "hello input\n");
}

#[test]
fn input_name_may_have_subdirectories() {
    let ws = Workspace::new();
    let input = ws.write("x.csv", "a,b\n1,2\n");
    let spec = format!("data/x.csv={}", input.display());
    let run = ws.run_stdin(
        &["--policy=none", "-i", &spec],
        "import os\nprint(os.path.isdir('data'))\nprint(open('data/x.csv').read(), end='')\n",
    );
    assert_code(&run, 0);
    assert_eq!(run.stdout, "True\na,b\n1,2\n");
}

#[test]
fn csv_example_prints_the_total_and_notes_unsaved_files() {
    let ws = Workspace::new();
    let input = ws.write("input.csv", CSV);
    let spec = format!("data.csv={}", input.display());
    let run = ws.run_stdin(&["--input", &spec], CSV_CODE);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "Total: 600\n");
    assert_eq!(
        sandbox_lines(&run),
        ["sandbox: the program wrote 1 file(s); pass --output-dir DIR to keep them"],
        "{run:#?}"
    );
    assert!(
        !ws.path("result.txt").exists(),
        "without --output-dir nothing is saved"
    );
}

#[test]
fn csv_example_saves_result_into_output_dir() {
    let ws = Workspace::new();
    let input = ws.write("input.csv", CSV);
    let out = ws.path("results");
    let spec = format!("data.csv={}", input.display());
    let run = ws.run_stdin(
        &["--input", &spec, "--output-dir", path_str(&out)],
        CSV_CODE,
    );
    assert_code(&run, 0);
    assert_eq!(run.stdout, "Total: 600\n");
    assert_eq!(run.stderr, "", "no note when files are saved");
    assert_eq!(read(&out.join("result.txt")), "Sum: 600\n");
    assert_eq!(
        list_files(&out),
        ["result.txt"],
        "the unchanged input is not an output"
    );
    // An ordinary file, as the umask makes one (not a temporary file's 0600).
    use std::os::unix::fs::PermissionsExt as _;
    let umask = fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Umask:"))?.to_owned();
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        })
        .unwrap_or(0o022);
    let mode = fs::metadata(out.join("result.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o666 & !umask, "mode {mode:o}");
}

#[test]
fn nested_output_is_saved_under_output_dir() {
    let ws = Workspace::new();
    let out = ws.path("out-dir");
    let code = "import os\nos.makedirs('out/deep')\n\
                with open('out/deep/report.txt', 'w') as f:\n    f.write('deep\\n')\n\
                with open('top.txt', 'w') as f:\n    f.write('top\\n')\n";
    let run = ws.run_stdin(&["--policy=none", "-o", path_str(&out)], code);
    assert_code(&run, 0);
    assert_eq!(list_files(&out), ["out/deep/report.txt", "top.txt"]);
    assert_eq!(read(&out.join("out/deep/report.txt")), "deep\n");
    assert_eq!(read(&out.join("top.txt")), "top\n");
}

#[test]
fn images_shown_are_saved_into_output_dir_and_named() {
    let ws = Workspace::new();
    let out = ws.path("shown");
    // An object shown as a PNG (a notebook's chart, in small), beside an
    // output file that has the name the image would get.
    let code = "class Chart:\n    def _repr_png_(self):\n        return b'\\x89PNG\\r\\n\\x1a\\nchart'\n\
                open('display-2.png', 'w').write('mine')\n\
                print('drawn')\ndisplay('text first')\nChart()\n";
    let run = ws.run_stdin(&[], code);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "drawn\n", "a shown value is not printed");
    assert!(
        sandbox_lines(&run).contains(
            &"sandbox: the program showed 1 image(s); pass --output-dir DIR to save them"
        ),
        "{run:#?}"
    );
    let run = ws.run_stdin(&["-o", path_str(&out)], code);
    assert_code(&run, 0);
    assert_eq!(list_files(&out), ["_display-2.png", "display-2.png"]);
    assert_eq!(
        fs::read(out.join("_display-2.png")).unwrap(),
        b"\x89PNG\r\n\x1a\nchart"
    );
    assert_eq!(read(&out.join("display-2.png")), "mine");
    let saved = format!(
        "sandbox: saved the image/png of displayed object 2 as {}",
        out.join("_display-2.png").display()
    );
    assert_eq!(sandbox_lines(&run), [saved.as_str()], "{run:#?}");

    // --stream-json: a display event per object, before the result.
    let run = ws.run_stdin(&["--stream-json"], "print(1)\n6 * 7\n");
    assert_code(&run, 0);
    let events: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["stdout", "display", "result"], "{run:#?}");
    assert_eq!(events[1]["data"]["text/plain"], "42");
    assert_eq!(events[2]["display"][0]["text/plain"], "42");
}

#[test]
fn output_dir_is_created_and_same_named_files_are_replaced() {
    let ws = Workspace::new();
    let out = ws.path("a/b/out");
    let run = ws.run_stdin(
        &["-o", path_str(&out)],
        "open('r.txt', 'w').write('first\\n')\n",
    );
    assert_code(&run, 0);
    assert_eq!(read(&out.join("r.txt")), "first\n");

    fs::write(out.join("keep.txt"), "untouched\n").expect("write keep.txt");
    let run = ws.run_stdin(
        &["-o", path_str(&out)],
        "open('r.txt', 'w').write('second\\n')\n",
    );
    assert_code(&run, 0);
    assert_eq!(read(&out.join("r.txt")), "second\n");
    assert_eq!(read(&out.join("keep.txt")), "untouched\n");
}

#[test]
fn hostile_input_names_are_rejected_before_anything_runs() {
    for name in ["../x", "/etc/x", "a/../../b"] {
        let ws = Workspace::new();
        let input = ws.write("payload.txt", "payload\n");
        let (code, marker) = ws.marker_code();
        let spec = format!("{name}={}", input.display());
        let run = ws.run_stdin(&["--input", &spec], &code);
        assert_rejected(&run, &marker, &[&format!("`{name}`")]);
    }
}

#[test]
fn unreadable_input_path_is_a_usage_error() {
    let ws = Workspace::new();
    let missing = ws.path("missing.csv");
    let dir = ws.path("a-directory");
    fs::create_dir(&dir).expect("create a dir");
    for spec in [
        format!("data.csv={}", missing.display()),
        missing.display().to_string(),
        format!("data.csv={}", dir.display()),
    ] {
        let (code, marker) = ws.marker_code();
        let run = ws.run_stdin(&["--input", &spec], &code);
        let path = spec.rsplit('=').next().unwrap_or(&spec);
        assert_rejected(&run, &marker, &[path]);
    }
}

#[test]
fn the_same_input_name_twice_is_a_usage_error() {
    let ws = Workspace::new();
    let one = ws.write("one.txt", "1");
    let two = ws.write("two.txt", "2");
    let (code, marker) = ws.marker_code();
    let run = ws.run_stdin(
        &[
            "-i",
            &format!("same.txt={}", one.display()),
            "-i",
            &format!("same.txt={}", two.display()),
        ],
        &code,
    );
    assert_rejected(&run, &marker, &["same.txt", "twice"]);
}

// --- JSON output ----------------------------------------------------------------

#[test]
fn json_success_result() {
    if !common::with_cgroups("json_success_result") {
        return;
    }
    let ws = Workspace::new();
    let input = ws.write("input.csv", CSV);
    let spec = format!("data.csv={}", input.display());
    let run = ws.run_stdin(&["--json", "--input", &spec], CSV_CODE);
    assert_code(&run, 0);
    assert_eq!(run.stderr, "", "with --json stderr stays quiet: {run:#?}");
    let value = json(&run);

    assert_eq!(value["success"], true);
    assert_eq!(value["status"], "ok");
    assert_eq!(value["return_code"], 0);
    assert_eq!(value["stdout"], "Total: 600\n");
    assert_eq!(value["stderr"], "");
    assert_eq!(value["mode"], "secure");
    assert_eq!(value["isolation"], "full");
    assert_eq!(value["message"], Value::Null);
    // base64("Sum: 600\n"); the unchanged input is not echoed back.
    assert_eq!(
        value["output_files"],
        serde_json::json!({ "result.txt": "U3VtOiA2MDAK" })
    );
    assert!(value["duration_ms"].as_f64().is_some_and(|ms| ms > 0.0));
    assert!(
        value["usage"]["cpu_ms"]
            .as_f64()
            .is_some_and(|ms| ms >= 0.0)
    );
    assert!(
        value["usage"]["peak_memory_kb"]
            .as_u64()
            .is_some_and(|kb| kb > 0)
    );

    insta::assert_json_snapshot!("json_success", value, {
        ".duration_ms" => "[duration]",
        ".usage.cpu_ms" => "[cpu]",
        ".usage.peak_memory_kb" => "[mem]",
    });
}

#[test]
fn json_error_result() {
    if !common::with_cgroups("json_error_result") {
        return;
    }
    let ws = Workspace::new();
    // A whole-line `raise` gets no caret line, so the traceback is the same
    // on every supported Python version.
    let run = ws.run_stdin(&["--json"], "print('partial')\nraise ValueError('boom')\n");
    assert_code(&run, 1);
    let value = json(&run);

    assert_eq!(value["success"], false);
    assert_eq!(value["status"], "error");
    assert_eq!(value["return_code"], 1);
    assert_eq!(value["stdout"], "partial\n");
    let stderr = value["stderr"].as_str().expect("stderr is a string");
    assert!(stderr.contains(r#"File "main.py", line 2"#), "{stderr}");
    assert!(stderr.ends_with("ValueError: boom\n"), "{stderr}");
    assert_eq!(value["mode"], "secure");
    assert_eq!(value["isolation"], "full");

    insta::assert_json_snapshot!("json_error", value, {
        ".duration_ms" => "[duration]",
        ".usage.cpu_ms" => "[cpu]",
        ".usage.peak_memory_kb" => "[mem]",
    });
}

#[test]
fn json_limit_result_keeps_the_exit_code_and_explains() {
    let ws = Workspace::new();
    let run = ws.run_stdin(&["--json", "--timeout", "0.5"], "while True: pass\n");
    assert_code(&run, 124);
    let value = json(&run);
    assert_eq!(value["success"], false);
    assert_eq!(value["status"], "timeout");
    let message = value["message"].as_str().expect("a timeout has a message");
    assert!(message.contains("0.5"), "{message}");
}

// --- Limits and their exit codes -------------------------------------------------

#[test]
fn timeout_exits_124_quickly_with_a_one_line_reason() {
    let ws = Workspace::new();
    let run = ws.run_stdin(&["--timeout", "0.5"], "while True: pass\n");
    assert_code(&run, 124);
    assert!(run.elapsed < FAST_ENOUGH, "took {:?}", run.elapsed);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{run:#?}");
    assert!(lines[0].starts_with("sandbox: timeout: "), "{run:#?}");
}

#[test]
fn timeout_also_stops_processes_the_program_started() {
    let ws = Workspace::new();
    let code = "import os, time\n\
                if os.fork() == 0:\n    time.sleep(30)\n    os._exit(0)\n\
                while True: pass\n";
    let run = ws.run_stdin(&["--policy=none", "--timeout", "0.5"], code);
    assert_code(&run, 124);
    assert!(run.elapsed < FAST_ENOUGH, "took {:?}", run.elapsed);
}

#[test]
fn memory_limit_exits_125() {
    let ws = Workspace::new();
    let run = ws.run_stdin(&["--memory-mb", "64"], "x = bytearray(2*1024**3)\n");
    assert_code(&run, 125);
    assert!(
        sandbox_lines(&run)
            .iter()
            .any(|line| line.starts_with("sandbox: memory_limit: ")),
        "{run:#?}"
    );
}

#[test]
fn output_flood_exits_123_with_a_truncation_note() {
    let ws = Workspace::new();
    let run = ws.run_stdin(
        &["--max-output-bytes", "1000"],
        "while True:\n    print('flood' * 10)\n",
    );
    assert_code(&run, 123);
    assert!(run.stdout.len() <= 1000, "{} bytes", run.stdout.len());
    assert!(run.stdout.starts_with("flood"), "{run:#?}");
    let lines = sandbox_lines(&run);
    assert!(
        lines.contains(&"sandbox: stdout was truncated at the output cap"),
        "{run:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("sandbox: output_limit: ")),
        "{run:#?}"
    );
}

#[test]
fn killed_by_a_signal_exits_128_plus_the_signal() {
    let ws = Workspace::new();
    for (signal, name) in [(9, "SIGKILL"), (15, "SIGTERM")] {
        let run = ws.run_stdin(
            &["--policy=none"],
            &format!("import os\nos.kill(os.getpid(), {signal})\n"),
        );
        assert_code(&run, 128 + signal);
        assert!(run.stderr.contains("sandbox: killed: "), "{run:#?}");
        assert!(run.stderr.contains(name), "{run:#?}");
    }
}

#[test]
fn invalid_timeout_is_a_usage_error_naming_the_option() {
    for arg in ["--timeout=-1", "--timeout=0", "--timeout=abc"] {
        let ws = Workspace::new();
        let (code, marker) = ws.marker_code();
        let run = ws.run_stdin(&[arg], &code);
        assert_rejected(&run, &marker, &["--timeout"]);
    }
    let ws = Workspace::new();
    let (code, marker) = ws.marker_code();
    let run = ws.run_stdin(&["--timeout", "100000"], &code);
    assert_rejected(&run, &marker, &["timeout", "100000"]);
    // An absurd value is named briefly, with the bound.
    let run = ws.run_stdin(&["--timeout", "1e300"], &code);
    assert_rejected(&run, &marker, &["--timeout 1e300 must be", "at most 86400"]);
    assert!(run.stderr.len() < 200, "{run:#?}");
}

#[test]
fn a_remote_that_is_not_a_url_is_a_usage_error_naming_the_flag() {
    let ws = Workspace::new();
    let run = ws.run_stdin(&["--remote", "localhost:8000"], "print(1)\n");
    assert_code(&run, 2);
    assert!(
        run.stderr
            .contains("--remote `localhost:8000` is not an `http://` or `https://` URL"),
        "{run:#?}"
    );
}

/// A level chosen on purpose is not announced on every run; the JSON
/// result keeps the note.
#[test]
fn a_chosen_isolation_level_is_not_announced_on_every_run() {
    let ws = Workspace::new();
    let run = ws.run_stdin(&["--isolation", "no-cgroups"], "print(1)\n");
    assert_code(&run, 0);
    assert_eq!(run.stderr, "", "{run:#?}");
    let json_run = ws.run_stdin(&["--isolation", "no-cgroups", "--json"], "print(1)\n");
    let message = json(&json_run)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("ran without: cgroup memory, cgroup pids"),
        "{message}"
    );
}

#[test]
fn negative_timeout_as_a_separate_argument_is_a_usage_error() {
    let ws = Workspace::new();
    let (code, marker) = ws.marker_code();
    let run = ws.run_stdin(&["--timeout", "-1"], &code);
    assert_rejected(&run, &marker, &["-1"]);
}

#[test]
fn negative_timeout_as_a_separate_argument_names_the_option() {
    let ws = Workspace::new();
    let (code, marker) = ws.marker_code();
    let run = ws.run_stdin(&["--timeout", "-1"], &code);
    assert_rejected(&run, &marker, &["--timeout", "-1"]);
}

#[test]
fn invalid_memory_limit_is_a_usage_error_naming_the_field() {
    for mib in ["0", "8"] {
        let ws = Workspace::new();
        let (code, marker) = ws.marker_code();
        let run = ws.run_stdin(&["--memory-mb", mib], &code);
        assert_rejected(&run, &marker, &["memory_mb", &format!("is {mib},")]);
    }
}

#[test]
fn invalid_request_reason_is_printed_once() {
    let ws = Workspace::new();
    let run = ws.run_stdin(&["--memory-mb", "0"], "print(1)\n");
    assert_code(&run, 2);
    assert_eq!(
        run.stderr.matches("`memory_mb` is 0").count(),
        1,
        "{run:#?}"
    );
}

/// A syntax error is found by parsing before anything runs: exit 121, with
/// the error rendered as Python would, pointing into `main.py`.
#[test]
fn syntax_error_is_found_before_running() {
    let ws = Workspace::new();
    let (code, marker) = ws.marker_code();
    let run = ws.run_stdin(&["--mode", "simple"], &format!("{code}print(x +)\n"));
    assert_code(&run, 121);
    assert!(!marker.exists(), "the program ran: {run:#?}");
    assert!(
        run.stderr.starts_with(
            "  File \"main.py\", line 3\n    print(x +)\n             ^\nSyntaxError: Expected an expression\n"
        ),
        "{run:#?}"
    );
    assert!(
        run.stderr
            .contains("sandbox: syntax_error: syntax error at line 3, column 10"),
        "{run:#?}"
    );
}

// --- Configuration from the environment and .env ----------------------------------

#[test]
fn invalid_env_var_is_reported_by_name_and_value() {
    let ws = Workspace::new();
    let (code, marker) = ws.marker_code();
    let run = run(
        ws.sandbox(["run", "-"]).env("SANDBOX_TIMEOUT", "abc"),
        &code,
    );
    assert_ne!(run.code, 0, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(!marker.exists(), "the program ran: {run:#?}");
    assert!(run.stderr.contains("`SANDBOX_TIMEOUT`"), "{run:#?}");
    assert!(run.stderr.contains("`abc`"), "{run:#?}");
}

#[test]
fn invalid_env_var_exits_2() {
    let ws = Workspace::new();
    let (code, marker) = ws.marker_code();
    let run = run(
        ws.sandbox(["run", "-"]).env("SANDBOX_TIMEOUT", "abc"),
        &code,
    );
    assert_rejected(&run, &marker, &["SANDBOX_TIMEOUT", "abc"]);
}

#[test]
fn dotenv_in_the_current_dir_sets_the_timeout() {
    let ws = Workspace::new();
    ws.write(".env", "SANDBOX_TIMEOUT=0.5\n");
    let run = ws.run_stdin(&[], "while True: pass\n");
    assert_code(&run, 124);
    assert!(run.elapsed < FAST_ENOUGH, "took {:?}", run.elapsed);
    assert!(run.stderr.contains("0.5 s"), "{run:#?}");
}

#[test]
fn env_var_overrides_dotenv() {
    let ws = Workspace::new();
    ws.write(".env", "SANDBOX_TIMEOUT=0.5\n");
    let code = "import time\ntime.sleep(1)\nprint('done')\n";
    let run = run(ws.sandbox(["run", "-"]).env("SANDBOX_TIMEOUT", "30"), code);
    assert_code(&run, 0);
    assert_eq!(run.stdout, "done\n");
}

#[test]
fn option_overrides_env_var() {
    let ws = Workspace::new();
    let code = "import time\ntime.sleep(1)\nprint('done')\n";
    let run = run(
        ws.sandbox(["run", "--timeout", "30", "-"])
            .env("SANDBOX_TIMEOUT", "0.5"),
        code,
    );
    assert_code(&run, 0);
    assert_eq!(run.stdout, "done\n");
}

// --- Help ---------------------------------------------------------------------------

#[test]
fn run_help_lists_every_option_and_the_exit_codes() {
    let ws = Workspace::new();
    let run = run(&mut ws.sandbox(["run", "--help"]), "");
    assert_code(&run, 0);
    for needle in [
        "--mode",
        "--timeout",
        "--memory-mb",
        "--allow-network",
        "--input",
        "--output-dir",
        "--json",
        "--python",
        "--max-output-bytes",
        "--verbose",
        "Exit codes:",
    ] {
        assert!(run.stdout.contains(needle), "help lacks {needle}");
    }
    for code in [
        "0", "1-119", "2", "120", "121", "122", "123", "124", "125", "128+N",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{code} "))),
            "exit code table lacks {code}"
        );
    }
    insta::assert_snapshot!("run_help", run.stdout);
}

#[test]
fn top_level_help_names_the_environment_variables() {
    let ws = Workspace::new();
    let run = run(&mut ws.sandbox(["--help"]), "");
    assert_code(&run, 0);
    // Every variable the client reads (the server's own are in its help).
    let client_vars = sandbox_core::vars::ALL
        .iter()
        .map(|(name, _)| *name)
        .take_while(|name| *name != sandbox_core::vars::HOST);
    for var in client_vars.chain([".env", "sandbox run --help"]) {
        assert!(run.stdout.contains(var), "help lacks {var}");
    }
}

// --- Small file helpers ---------------------------------------------------------------

fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// Every file under `dir`, as sorted `/`-separated relative paths.
fn list_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap_or_else(|err| panic!("list {}: {err}", dir.display()))
        {
            let path = entry
                .unwrap_or_else(|err| panic!("list {}: {err}", dir.display()))
                .path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                found.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found.sort();
    found
}

// --- sandbox check -------------------------------------------------------------------

#[test]
fn check_reports_syntax_errors_like_a_linter() {
    let ws = Workspace::new();
    let file = ws.write("bad.py", "x = 1\nprint(x +)\n");
    let run = run(&mut ws.sandbox(["check".as_ref(), file.as_os_str()]), "");
    assert_code(&run, 1);
    let shown = run.stdout.replace(&file.display().to_string(), "[FILE]");
    insta::assert_snapshot!("check_syntax_error", shown);
}

#[test]
fn check_exit_codes() {
    let ws = Workspace::new();
    let clean = run(&mut ws.sandbox(["check", "-"]), "print('fine')\n");
    assert_code(&clean, 0);
    assert_eq!(clean.stdout, "");
    let missing = run(&mut ws.sandbox(["check", "no-such-file.py"]), "");
    assert_code(&missing, 2);
    assert!(
        missing.stderr.contains("cannot read `no-such-file.py`"),
        "{missing:#?}"
    );
}

#[test]
fn check_reports_every_policy_violation_like_a_linter() {
    let ws = Workspace::new();
    let file = ws.write(
        "agent.py",
        "import os\nimport json\n\ndata = json.loads(input())\nprint(().__class__.__bases__[0].__subclasses__())\n",
    );
    let helper = ws.write("helper.py", "from random import _os\n");
    let checked = run(
        &mut ws.sandbox([
            "check".as_ref(),
            file.as_os_str(),
            "-i".as_ref(),
            helper.as_os_str(),
        ]),
        "",
    );
    assert_code(&checked, 1);
    let shown = checked
        .stdout
        .replace(&file.display().to_string(), "[FILE]");
    insta::assert_snapshot!("check_policy_violations", shown);

    // The same file under no policy, or in simple mode, is clean.
    for args in [["--policy", "none"], ["--mode", "simple"]] {
        let mut cmd = ws.sandbox(["check".as_ref(), file.as_os_str()]);
        cmd.args(args);
        let clean = run(&mut cmd, "");
        assert_code(&clean, 0);
    }
}

#[test]
fn run_refuses_a_policy_violation_with_exit_122_and_nothing_runs() {
    let ws = Workspace::new();
    let marker = ws.path("ran");
    let code = format!(
        "open({:?}, 'w').write('x')\nimport subprocess\n",
        marker.display().to_string()
    );
    let ran = ws.run_stdin(&["--mode", "simple", "--policy", "default"], &code);
    // Simple mode has no policy by default: `default` keeps it that way.
    assert_code(&ran, 0);
    std::fs::remove_file(&marker).unwrap();

    let policy = ws.write("policy.toml", "[modules]\ndeny = [\"csv\"]\n");
    let refused = ws.run_stdin(
        &[
            "--mode",
            "simple",
            "--policy",
            &policy.display().to_string(),
        ],
        &code,
    );
    assert_code(&refused, 122);
    assert!(!marker.exists(), "the code ran");
    assert!(
        refused
            .stderr
            .contains("main.py:2:8: blocked-import import of `subprocess` is blocked"),
        "{refused:#?}"
    );
    let refused = ws.run_stdin(&["--policy", "default"], "import csv\nimport sys\n");
    assert_code(&refused, 122);
}

#[test]
fn a_bad_policy_is_a_usage_error_naming_the_problem() {
    let ws = Workspace::new();
    ws.write("bad.toml", "[modules]\nallow = \"os\"\n");
    let cases: [(&[&str], &str); 3] = [
        (
            &["--policy", "missing.toml"],
            "cannot read the policy file `missing.toml`",
        ),
        (&["--policy", "bad.toml"], "invalid policy in `bad.toml`"),
        (&["--policy", "bad.toml"], "expected a sequence"),
    ];
    for (args, expected) in cases {
        let refused = ws.run_stdin(args, "print(1)\n");
        assert_code(&refused, 2);
        assert!(refused.stderr.contains(expected), "{refused:#?}");
    }
    let env = run(
        ws.sandbox(["run", "-"]).env("SANDBOX_POLICY", "nope.toml"),
        "print(1)\n",
    );
    assert_code(&env, 2);
    assert!(
        env.stderr
            .contains("cannot read the policy file `nope.toml`"),
        "{env:#?}"
    );
}

#[test]
fn policy_show_prints_the_effective_policy_as_a_file_run_accepts() {
    let ws = Workspace::new();
    let shown = run(&mut ws.sandbox(["policy", "show"]), "");
    assert_code(&shown, 0);
    insta::assert_snapshot!("policy_show_default", shown.stdout);

    let simple = run(&mut ws.sandbox(["policy", "show", "--mode", "simple"]), "");
    assert_code(&simple, 0);
    assert!(
        simple
            .stdout
            .contains("No policy in effect for simple mode")
    );

    // The printed file, edited, is a policy `run` and `check` accept.
    let edited = shown.stdout.replace("    \"json\",\n", "");
    let file = ws.write("mine.toml", &edited);
    let check = run(
        ws.sandbox(["check", "-", "--policy"]).arg(&file),
        "import json\n",
    );
    assert_code(&check, 1);
    assert!(
        check
            .stdout
            .contains("`json` is not on the sandbox policy's allow list"),
        "{check:#?}"
    );
    let again = run(ws.sandbox(["policy", "show", "--policy"]).arg(&file), "");
    assert_eq!(again.stdout, edited);
}

/// Logs written to a pipe or file carry no colour codes.
#[test]
fn verbose_logs_to_a_pipe_are_plain_text() {
    let ws = Workspace::new();
    let run = run(&mut ws.sandbox(["-vv", "run", "-"]), "print(1)\n");
    assert_code(&run, 0);
    assert!(
        run.stderr.contains("DEBUG") || run.stderr.contains("INFO"),
        "{run:#?}"
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "colour codes in {:?}",
        run.stderr
    );
}

/// The NUL flood (`tests/resources/nul_flood.py`): output that escapes worst.
const NUL_FLOOD: &str = include_str!("../../../tests/resources/nul_flood.py");

#[test]
fn json_output_stays_within_the_result_cap() {
    let ws = Workspace::new();
    // The default cap, derived from the other caps: two files are left out.
    let run = ws.run_stdin(&["--json"], NUL_FLOOD);
    assert_code(&run, 0);
    eprintln!("default cap: {} bytes printed", run.stdout.len());
    assert!(run.stdout.len() <= 26_607_512, "{} bytes", run.stdout.len());
    let result = json(&run);
    assert_eq!(result["output_files_truncated"], true);
    assert_eq!(result["output_files"].as_object().unwrap().len(), 2);
    let message = result["message"].as_str().unwrap();
    assert!(message.contains("SANDBOX_MAX_RESULT_BYTES"), "{message}");

    // A smaller cap stops the program once its output reaches it.
    let run = ws.run_stdin(&["--json", "--max-result-bytes", "1000000"], NUL_FLOOD);
    assert_code(&run, 123);
    eprintln!("1000000 cap: {} bytes printed", run.stdout.len());
    assert!(run.stdout.len() <= 1_000_000, "{} bytes", run.stdout.len());
    assert!(run.stdout.len() > 900_000, "{} bytes", run.stdout.len());
    let result = json(&run);
    assert_eq!(result["status"], "output_limit");
    assert_eq!(result["stdout_truncated"], true);
    let message = result["message"].as_str().unwrap();
    assert!(message.contains("1000000 bytes as JSON"), "{message}");
    assert!(message.contains("SANDBOX_MAX_RESULT_BYTES"), "{message}");

    let run = ws.run_stdin(&["--max-result-bytes", "1000"], "print('never')");
    assert_code(&run, 2);
    assert!(run.stderr.contains("65536"), "{run:#?}");
    assert!(!run.stdout.contains("never"), "{run:#?}");
}
