//! The policy layer end to end: the false-positive corpus runs under the
//! default policy and its guard with the same output as a bare interpreter;
//! violations are refused before anything runs; and the in-interpreter
//! guard stops what the syntax rules cannot see, with the rules switched
//! off so only the guard stands in the way.

use std::path::{Path, PathBuf};
use std::process::Command;

use sandbox_client::{
    ClientConfig, ExecutionMode, ExecutionRequest, Policy, SandboxClient, Status,
};
use sandbox_core::policy::Rule;

use crate::tier::{Tier, require};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/sandbox-core/resources/allowed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    files
}

/// stdout of `code` run by the host's interpreter in a fresh directory.
fn bare_stdout(python: &str, code: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(python)
        .args(["-I", "-c", code])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "bare run failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn host_python() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn the_corpus_runs_under_the_default_policy_as_it_runs_bare() {
    let python = host_python();
    let client = crate::support::default_client();
    let files = corpus();
    assert!(files.len() >= 30, "{} programs", files.len());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = std::fs::read_to_string(&path).unwrap();
        let result = client.execute(code.clone()).await.unwrap();
        assert_eq!(
            result.status,
            Status::Ok,
            "{name}: {}\n{}",
            result.stderr,
            result.message.unwrap_or_default()
        );
        assert_eq!(result.stderr, "", "{name}");
        assert!(!result.stdout.is_empty(), "{name} printed nothing");
        assert_eq!(result.stdout, bare_stdout(&python, &code), "{name}");
    }
}

#[tokio::test]
async fn a_violation_is_refused_before_anything_runs() {
    let marker = tempfile::tempdir().unwrap();
    let witness = marker.path().join("ran");
    let code = format!(
        "open({:?}, 'w').write('x')\nimport os\nprint(eval('1'))\n",
        witness.display().to_string()
    );
    for mode in crate::support::MODES {
        let client = SandboxClient::from_config(
            ClientConfig {
                mode,
                ..crate::support::config()
            }
            .with_policy(Policy::secure_default().clone()),
        )
        .unwrap();
        let result = client.execute(code.clone()).await.unwrap();
        assert_eq!(result.status, Status::PolicyViolation, "{mode:?}");
        assert!(!result.success);
        assert_eq!(result.return_code, None);
        let found: Vec<(&str, u32, u32)> = result
            .violations
            .iter()
            .map(|v| (v.rule.as_str(), v.line, v.column))
            .collect();
        assert_eq!(
            found,
            [("blocked-import", 2, 8), ("forbidden-builtin", 3, 7)],
            "{mode:?}"
        );
        assert!(
            result
                .stderr
                .contains("main.py:2:8: blocked-import import of `os` is blocked")
                && result.stderr.contains("2 | import os\n  |        ^^\n")
                && result.stderr.ends_with("Found 2 policy violations.\n"),
            "{}",
            result.stderr
        );
        assert_eq!(
            result.message.as_deref(),
            Some("the code breaks the sandbox policy (2 violations); nothing ran")
        );
        assert!(!witness.exists(), "{mode:?}: the code ran");
    }
}

#[tokio::test]
async fn a_module_under_another_name_is_refused_before_anything_runs() {
    let marker = tempfile::tempdir().unwrap();
    let witness = marker.path().join("ran");
    let code = format!(
        "open({:?}, 'w').write('x')\nimport pathlib\nm = pathlib\nm.os.system(\"echo PWNED\")\n",
        witness.display().to_string()
    );
    let client = crate::support::default_client();
    let result = client.execute(code).await.unwrap();
    assert_eq!(result.status, Status::PolicyViolation, "{}", result.stderr);
    let found: Vec<(&str, u32, u32)> = result
        .violations
        .iter()
        .map(|v| (v.rule.as_str(), v.line, v.column))
        .collect();
    assert_eq!(found, [("module-internals", 4, 3)]);
    assert!(
        result.stderr.contains(
            "main.py:4:3: module-internals `os` reaches the module `os`, which the sandbox \
             policy denies"
        ),
        "{}",
        result.stderr
    );
    assert!(!result.stdout.contains("PWNED"));
    assert!(!witness.exists(), "the code ran");
}

#[tokio::test]
async fn input_python_files_are_held_to_the_policy_and_importable() {
    let client = crate::support::default_client();
    let request = ExecutionRequest::new("import helper\nprint(helper.double(21))\n")
        .with_file("helper.py", "def double(x):\n    return 2 * x\n");
    let result = client.execute_request(request).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.stdout, "42\n");

    let request =
        ExecutionRequest::new("import helper\n").with_file("helper.py", "import subprocess\n");
    let result = client.execute_request(request).await.unwrap();
    assert_eq!(result.status, Status::PolicyViolation);
    assert_eq!(result.violations.len(), 1);
    assert_eq!(result.violations[0].file.as_deref(), Some("helper.py"));
    assert!(
        result.stderr.starts_with("helper.py:1:8: blocked-import"),
        "{}",
        result.stderr
    );
    // A syntax error in an input file names that file, as Python would.
    let request = ExecutionRequest::new("import helper\n").with_file("helper.py", "def f(:\n");
    let result = client.execute_request(request).await.unwrap();
    assert_eq!(result.status, Status::SyntaxError);
    assert_eq!(result.violations.len(), 1);
    assert_eq!(result.violations[0].rule, "syntax-error");
    assert_eq!(result.violations[0].file.as_deref(), Some("helper.py"));
    assert!(
        result.stderr.starts_with("  File \"helper.py\", line 1\n"),
        "{}",
        result.stderr
    );
    // A non-Python input file is data, never checked.
    let request = ExecutionRequest::new("print(open('notes.txt').read())\n")
        .with_file("notes.txt", "import os\neval('x')\n");
    let result = client.execute_request(request).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
}

/// The default policy with every syntax rule off: only the guard inside
/// the interpreter stands between the code and what the policy forbids.
/// `socket` is allowed, so that the network switch is what stops it.
fn guard_only() -> SandboxClient {
    let mut policy = Policy::secure_default().clone().allow_modules(["socket"]);
    for rule in Rule::ALL {
        policy = policy.with_rule(rule, false);
    }
    SandboxClient::from_config(crate::support::config().with_policy(policy)).unwrap()
}

#[tokio::test]
async fn the_guard_stops_what_the_syntax_rules_cannot_see() {
    let client = guard_only();
    let cases = [
        (
            "import os\n",
            "sandbox.BlockedImport: import of `os` is blocked by the sandbox policy: `os` is on the policy's deny list",
        ),
        (
            "name = 'sub' + 'process'\n__import__(name)\n",
            "sandbox.BlockedImport: import of `subprocess` is blocked by the sandbox policy",
        ),
        (
            "import xml.dom\n",
            "import of `xml.dom` is blocked by the sandbox policy: `xml` is not on the policy's allow list",
        ),
        (
            "import random\nrandom._os.system('true')\n",
            "sandbox.PolicyError: `os.system` is blocked by the sandbox policy: running other programs is not allowed",
        ),
        (
            "import random, typing\ntyping.sys.modules['os'].popen('true')\n",
            "`subprocess.Popen` is blocked by the sandbox policy",
        ),
        (
            "import typing\ntyping.sys._getframe(0)\n",
            "`sys._getframe` is blocked by the sandbox policy: it opens the interpreter's internals",
        ),
        (
            "exec('print(1)')\n",
            "is blocked by the sandbox policy: it runs code the policy check never saw",
        ),
        (
            "import pathlib\npathlib.os.posix_spawn('/bin/true', ['true'], {})\n",
            "`os.posix_spawn` is blocked by the sandbox policy",
        ),
        (
            "import random\nrandom._os.execv('/bin/true', ['true'])\n",
            "`os.exec` is blocked by the sandbox policy",
        ),
        (
            "import typing\ntyping.sys.modules['_posixsubprocess'].fork_exec()\n",
            "sandbox.PolicyError: `_posixsubprocess.fork_exec` is blocked by the sandbox policy: running other programs is not allowed",
        ),
        (
            "import zipfile\nsp = zipfile.importlib.import_module('subprocess')\n\
             fork_exec = getattr(sp, '_fork_exec', None) or sp._posixsubprocess.fork_exec\n\
             fork_exec()\n",
            "sandbox.PolicyError: `_posixsubprocess.fork_exec` is blocked by the sandbox policy",
        ),
        (
            "import typing, zipfile\ntyping.sys.modules.pop('_posixsubprocess')\n\
             zipfile.importlib.import_module('_posixsubprocess')\n",
            "sandbox.BlockedImport: import of `_posixsubprocess` is blocked by the sandbox policy",
        ),
        (
            "import zipfile\nzipfile.importlib.import_module('_xxsubinterpreters')\n",
            "sandbox.BlockedImport: import of `_xxsubinterpreters` is blocked by the sandbox policy",
        ),
        (
            "import socket\nsocket.socket(socket.AF_UNIX).connect('/tmp/peer')\n",
            "`socket.connect` is blocked by the sandbox policy: network access is off for this run",
        ),
    ];
    for (code, expected) in cases {
        let result = client.execute(code).await.unwrap();
        assert_eq!(result.status, Status::Error, "{code}: {}", result.stderr);
        assert!(
            result.stderr.contains(expected),
            "{code}:\n{}",
            result.stderr
        );
        // The user's frames only: none of the bootstrap's or the guard's.
        assert!(
            result.stderr.contains("File \"main.py\", line"),
            "{}",
            result.stderr
        );
        assert!(
            !result.stderr.contains("<string>") && !result.stderr.contains("guarded_import"),
            "{code}:\n{}",
            result.stderr
        );
    }
}

#[tokio::test]
async fn no_program_starts_through_the_private_spawner() {
    // `multiprocessing` starts programs through `_posixsubprocess.fork_exec`
    // with the right arguments for this interpreter and raises no audit
    // event on the way; the program would write `pwned.txt` and print.
    let code = "\
import pathlib, time, zipfile
util = zipfile.importlib.import_module('multiprocessing.util')
try:
    util.spawnv_passfds(b'/bin/sh', [b'sh', b'-c', b'echo PWNED; echo x > pwned.txt'], [])
except PermissionError as err:
    print(type(err).__name__, err)
time.sleep(0.3)
print('ran:', pathlib.Path('pwned.txt').exists())
";
    let result = guard_only().execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(
        result.stdout,
        "PolicyError `_posixsubprocess.fork_exec` is blocked by the sandbox policy: running \
         other programs is not allowed\nran: False\n"
    );
}

/// Debian builds `_posixsubprocess` into the interpreter: loading it afresh
/// raises no `import` audit event there, and would bring the original
/// `fork_exec` back. The guard refuses it all the same (a pyenv build, as
/// the other tests may use, has it as an extension module).
#[tokio::test]
async fn the_guard_seals_modules_built_into_the_interpreter() {
    require!(Tier::BuiltinSubprocess);
    let python = crate::tier::interpreter_with_builtin_subprocess().unwrap();
    let mut policy = Policy::secure_default().clone();
    for rule in Rule::ALL {
        policy = policy.with_rule(rule, false);
    }
    let config = ClientConfig {
        python: Some(python),
        ..crate::support::config().with_policy(policy)
    };
    let client = SandboxClient::from_config(config).unwrap();
    let code = "\
import typing, zipfile
assert '_posixsubprocess' in typing.sys.builtin_module_names
typing.sys.modules.pop('_posixsubprocess')
zipfile.importlib.import_module('_posixsubprocess')
print('imported')
";
    let result = client.execute(code).await.unwrap();
    assert_eq!(result.status, Status::Error, "{}", result.stdout);
    assert!(
        result.stderr.contains(
            "sandbox.BlockedImport: import of `_posixsubprocess` is blocked by the sandbox policy"
        ),
        "{}",
        result.stderr
    );
    assert!(!result.stdout.contains("imported"));
}

#[tokio::test]
async fn the_guard_lets_libraries_import_what_they_need_and_programs_recover() {
    let client = guard_only();
    let code = "\
try:
    import os
except ImportError as err:
    print('no os:', type(err).__name__)
import csv, dataclasses, decimal, json, pathlib, random, statistics, uuid, zipfile
@dataclasses.dataclass
class P:
    x: int
print(P(1), json.dumps([decimal.Decimal('1.5').as_integer_ratio()]), random.Random(1).random() < 1)
pathlib.Path('a.txt').write_text('hi')
print(pathlib.Path('a.txt').read_text(), statistics.mean([1, 2, 3]))
";
    let result = client.execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(
        result.stdout,
        "no os: BlockedImport\nP(x=1) [[3, 2]] True\nhi 2\n"
    );
}

#[tokio::test]
async fn the_guard_can_be_switched_off_and_simple_mode_has_no_policy_by_default() {
    let mut policy = Policy::secure_default().clone().with_runtime_guard(false);
    for rule in Rule::ALL {
        policy = policy.with_rule(rule, false);
    }
    let client = SandboxClient::from_config(crate::support::config().with_policy(policy)).unwrap();
    let result = client
        .execute("import os\nprint(os.getcwd())\n")
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.stdout, "/sandbox\n");

    let simple = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Simple,
        ..crate::support::config()
    })
    .unwrap();
    let result = simple
        .execute("import os\nprint(eval('6 * 7'))\n")
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.stdout, "42\n");
}
