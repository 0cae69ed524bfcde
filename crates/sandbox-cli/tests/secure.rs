//! Secure mode through the real binary: `sandbox doctor`, and runs as an
//! unprivileged user (the tests run as root in CI; `setpriv` drops to
//! `nobody` for a run, as a non-root user of the tool would be).

// Helpers may panic on broken preconditions; that is a failed test.
#![allow(clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::io::Write as _;

const SANDBOX: &str = env!("CARGO_BIN_EXE_sandbox");
/// Debian's interpreter: readable by every user, unlike a pyenv under /root.
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// `bin` with no `SANDBOX_*` settings but one: the policy is off, since
/// these tests prove what the kernel layer does with programs the policy
/// would refuse.
fn sandbox(bin: &Path) -> Command {
    let mut command = common::clean_command(bin);
    command.env("SANDBOX_POLICY", "none");
    command
}

fn run_with_stdin(mut command: Command, code: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sandbox");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(code.as_bytes())
        .expect("write code");
    child.wait_with_output().expect("wait")
}

#[test]
fn doctor_lists_every_layer_and_level() {
    if !common::with_cgroups("doctor_lists_every_layer_and_level") {
        return;
    }
    let output = sandbox(Path::new(SANDBOX))
        .arg("doctor")
        .output()
        .expect("run doctor");
    let text = String::from_utf8_lossy(&output.stdout);
    for layer in [
        "user namespace",
        "pid namespace",
        "net namespace",
        "mount namespace",
        "ipc namespace",
        "uts namespace",
        "cgroup namespace",
        "landlock",
        "seccomp",
        "cgroup memory",
        "cgroup pids",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(layer))
            .unwrap_or_else(|| panic!("no line for {layer}:\n{text}"));
        // CI's machine offers every layer: a missing one must fail here.
        assert!(line.contains("available"), "{line}");
    }
    assert!(text.contains("full         ready (configured)"), "{text}");
    assert!(text.contains("A real secure run at `full`: ok ("), "{text}");
    assert_eq!(output.status.code(), Some(0), "{text}");
}

/// Every layer can be there while a real run still fails: the doctor runs
/// one, and says what failed (here the interpreter, then the run dir).
#[test]
fn doctor_fails_when_a_real_run_fails() {
    if !common::with_cgroups("doctor_fails_when_a_real_run_fails") {
        return;
    }
    for (name, value, needle) in [
        (
            "SANDBOX_PYTHON",
            "/nonexistent/python3",
            "no usable Python interpreter",
        ),
        ("TMPDIR", "/proc/self", "could not create the run dir"),
    ] {
        let output = sandbox(Path::new(SANDBOX))
            .arg("doctor")
            .env(name, value)
            .output()
            .expect("run doctor");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("A real secure run at `full`: FAILED: "),
            "{text}"
        );
        assert!(text.contains(needle), "{text}");
        assert_eq!(output.status.code(), Some(1), "{text}");
    }
}

/// The interpreter is a layer of its own: a missing one, or one the
/// sandbox would hide (under /tmp), makes every level "cannot run".
#[test]
fn doctor_checks_the_interpreter_as_a_layer() {
    if !common::with_cgroups("doctor_checks_the_interpreter_as_a_layer") {
        return;
    }
    let hidden = tempfile::Builder::new()
        .prefix("doctor-")
        .tempdir_in("/tmp")
        .expect("temp dir under /tmp");
    let link = hidden.path().join("python3");
    std::os::unix::fs::symlink(SYSTEM_PYTHON, &link).expect("link the interpreter");
    for (python, needle) in [
        (
            PathBuf::from("/nonexistent/python3"),
            "was not found".to_owned(),
        ),
        (
            link.clone(),
            format!("`{}` lies under /tmp", link.display()),
        ),
    ] {
        let output = sandbox(Path::new(SANDBOX))
            .arg("doctor")
            .env("SANDBOX_PYTHON", &python)
            .output()
            .expect("run doctor");
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("interpreter"))
            .unwrap_or_else(|| panic!("no interpreter line:\n{text}"));
        assert!(line.contains("MISSING") && line.contains(&needle), "{line}");
        assert!(
            text.contains("full         cannot run: missing interpreter (configured)"),
            "{text}"
        );
        assert_eq!(output.status.code(), Some(1), "{text}");
    }
    let output = sandbox(Path::new(SANDBOX))
        .arg("doctor")
        .env("SANDBOX_PYTHON", SYSTEM_PYTHON)
        .output()
        .expect("run doctor");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("interpreter   ok: "), "{text}");
    assert!(text.contains("(Python 3."), "{text}");
}

/// The binary, copied where an unprivileged user can run it.
fn public_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let bin = dir.path().join("sandbox");
    std::fs::copy(SANDBOX, &bin).expect("copy binary");
    (dir, bin)
}

/// [`public_copy`], for a test that drops from root to nobody.
fn public_copy_for_nobody() -> (tempfile::TempDir, PathBuf) {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test drops from root to nobody"
    );
    public_copy()
}

/// A file everyone may read, in `dir`.
fn public_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    path
}

/// `code` run by nobody in secure mode at `no-cgroups` (what an
/// unprivileged runner uses), with `extra` arguments: its `--json` result.
fn unprivileged_json_run(bin: &Path, extra: &[&str], code: &str) -> serde_json::Value {
    let mut args = vec!["run", "--mode", "secure", "--isolation", "no-cgroups"];
    args.extend_from_slice(extra);
    args.extend(["--json", "-"]);
    let output = run_with_stdin(as_nobody(bin, &args), code);
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)))
}

fn as_nobody(bin: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(bin)
        .args(args)
        .env("SANDBOX_PYTHON", SYSTEM_PYTHON)
        .env("TMPDIR", "/tmp")
        .env_remove("SANDBOX_ISOLATION")
        .env_remove("SANDBOX_MODE")
        .env("SANDBOX_POLICY", "none");
    command
}

#[test]
fn an_unprivileged_user_gets_secure_mode_without_cgroups() {
    if !common::as_root("an_unprivileged_user_gets_secure_mode_without_cgroups") {
        return;
    }
    let (dir, bin) = public_copy_for_nobody();
    let input = public_file(dir.path(), "in.txt", "from the host");
    let input_arg = format!("in.txt={}", input.display());
    let code = "import os\nprint(os.getuid(), open('/proc/self/uid_map').read().split())\n\
                print(open('/proc/self/status').read().count('NoNewPrivs:\\t1'))\n\
                open('out.txt', 'w').write(open('in.txt').read().upper())";
    let result = unprivileged_json_run(&bin, &["--input", &input_arg], code);
    assert_eq!(result["status"], "ok", "{result}");
    // Inside uid 1000 is host uid 65534 (nobody), one line.
    assert_eq!(
        result["stdout"], "1000 ['1000', '65534', '1']\n1\n",
        "{result}"
    );
    assert_eq!(result["isolation"], "no-cgroups");
    // Files go in and come back out even though init is not dumpable.
    assert_eq!(
        result["output_files"]["out.txt"], "RlJPTSBUSEUgSE9TVA==",
        "{result}"
    );
    let message = result["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("ran without: cgroup memory, cgroup pids"),
        "{message}"
    );
}

#[test]
fn full_isolation_refuses_to_run_without_cgroups_and_names_the_layer() {
    if !common::as_root("full_isolation_refuses_to_run_without_cgroups_and_names_the_layer") {
        return;
    }
    let (_dir, bin) = public_copy();
    let output = run_with_stdin(
        as_nobody(&bin, &["run", "--mode", "secure", "-"]),
        "print('ran')",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(120), "{stderr}");
    assert!(output.stdout.is_empty(), "the code ran");
    assert!(
        stderr.contains("the cgroup memory layer is missing"),
        "{stderr}"
    );
    assert!(stderr.contains("sandbox doctor"), "{stderr}");
}

#[test]
fn an_unprivileged_memory_bomb_is_stopped_by_the_rlimit() {
    if !common::as_root("an_unprivileged_memory_bomb_is_stopped_by_the_rlimit") {
        return;
    }
    let (_dir, bin) = public_copy();
    let output = run_with_stdin(
        as_nobody(
            &bin,
            &["run", "--isolation", "no-cgroups", "--memory-mb", "64", "-"],
        ),
        "x = bytearray(1 << 30)",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(stderr.contains("MemoryError"), "{stderr}");
}

/// A host process with a low descriptor limit and its own files open at the
/// descriptor numbers the sandbox's set-up uses: the run works and never
/// touches those files.
#[test]
fn host_descriptors_and_a_low_descriptor_limit_are_respected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut script = String::from("ulimit -n 64\n");
    for fd in 3..=11 {
        script.push_str(&format!("exec {fd}>>{}/host{fd}\n", dir.path().display()));
    }
    script.push_str(&format!("exec {SANDBOX} run -\n"));
    let mut command = common::clean_command("bash");
    command.args(["-c", &script]);
    let output = run_with_stdin(command, "print('inside')");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "inside\n");
    for fd in 3..=11 {
        let written = std::fs::read(dir.path().join(format!("host{fd}"))).expect("read host file");
        assert!(
            written.is_empty(),
            "the sandbox wrote {written:?} into host fd {fd}"
        );
    }
}

/// A runner killed outright takes its sandbox with it: nothing of the run
/// keeps running without a supervisor.
#[test]
fn the_sandbox_dies_with_its_runner() {
    // The run dir goes in a private temp dir, so the test can find the
    // run's name and clean up what a killed runner cannot.
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut runner = sandbox(Path::new(SANDBOX))
        .args(["run", "--timeout", "60", "-"])
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sandbox");
    runner
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"import time\ntime.sleep(60)")
        .expect("write code");
    let runner_pid = runner.id().to_string();
    let children = || -> Vec<String> {
        let path = format!("/proc/{runner_pid}/task/{runner_pid}/children");
        let mut found: Vec<String> = std::fs::read_dir(format!("/proc/{runner_pid}/task"))
            .map(|tasks| {
                tasks
                    .flatten()
                    .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
                    .flat_map(|c| c.split_whitespace().map(String::from).collect::<Vec<_>>())
                    .collect()
            })
            .unwrap_or_default();
        found.extend(
            std::fs::read_to_string(&path)
                .unwrap_or_default()
                .split_whitespace()
                .map(String::from),
        );
        found.sort();
        found.dedup();
        found
    };
    // Wait for the sandbox's init, a child of the runner.
    let start = std::time::Instant::now();
    let init = loop {
        if let Some(init) = children().into_iter().find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "sandbox-init")
        }) {
            break init;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "no sandbox started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    runner.kill().expect("kill the runner");
    runner.wait().expect("reap the runner");
    let dead = |pid: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| {
                stat.rsplit_once(") ")
                    .is_some_and(|(_, rest)| rest.starts_with('Z'))
            })
            .unwrap_or(true)
    };
    let start = std::time::Instant::now();
    while !dead(&init) && start.elapsed() < std::time::Duration::from_secs(2) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(dead(&init), "the sandbox's init {init} outlived its runner");
    // A killed runner leaves its (empty) cgroups behind, as documented.
    for entry in std::fs::read_dir(tmp.path())
        .expect("list temp dir")
        .flatten()
    {
        remove_cgroups_named(&entry.file_name().to_string_lossy());
    }
}

/// Removes empty cgroups called `name` anywhere under the v1 memory and
/// pids hierarchies (a few levels deep).
fn remove_cgroups_named(name: &str) {
    let mut stack: Vec<(PathBuf, usize)> = [
        "/sys/fs/cgroup/memory",
        "/sys/fs/cgroup/pids",
        "/sys/fs/cgroup/unified",
    ]
    .map(|p| (PathBuf::from(p), 0))
    .to_vec();
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if entry.file_name() == name {
                for _ in 0..100 {
                    if std::fs::remove_dir(entry.path()).is_ok() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            } else if depth < 4 {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
}

/// The attacks of the red-team suite (`tests/redteam/`) on what runs and
/// what `/proc` shows, run again by an unprivileged user (the `no-cgroups`
/// level such a runner uses, its interpreter Debian's): each file's
/// `expect-stdout` lines must appear and its `forbid-stdout` text must not,
/// and a canary the user could read on the host never shows.
#[test]
fn an_unprivileged_runner_contains_the_attacks_on_exec_and_proc() {
    if !common::as_root("an_unprivileged_runner_contains_the_attacks_on_exec_and_proc") {
        return;
    }
    let (dir, bin) = public_copy_for_nobody();
    let secret = "canary-secret-5c1f0e";
    let canary = public_file(dir.path(), "canary.txt", secret);
    let host = |path: &str| {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let redteam = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/redteam");
    for name in [
        "ld_so_exec",
        "ld_so_written_program",
        "memfd_exec",
        "execve_ctypes_sh",
        "proc_host_facts",
        "inotify_host_files",
        "kernel_memory_hoard",
    ] {
        let source = std::fs::read_to_string(redteam.join(format!("{name}.py")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let code = source
            .replace("{CANARY_FILE}", &canary.to_string_lossy())
            .replace("{HOST_BOOT_ID}", &host("/proc/sys/kernel/random/boot_id"))
            .replace("{HOST_CMDLINE}", &host("/proc/cmdline"));
        let result = unprivileged_json_run(&bin, &[], &code);
        let text = result.to_string();
        let stdout = result["stdout"].as_str().unwrap_or_default();
        assert_eq!(result["status"], "ok", "{name}: {result}");
        assert!(
            !text.contains(secret),
            "{name}: the canary leaked: {result}"
        );
        for line in source.lines().take_while(|l| l.starts_with('#')) {
            if let Some(expected) = line.strip_prefix("# expect-stdout: ") {
                assert!(
                    expected.split(" | ").any(|e| stdout.contains(e)),
                    "{name}: no `{expected}` in:\n{stdout}"
                );
            } else if let Some(forbidden) = line.strip_prefix("# forbid-stdout: ") {
                assert!(
                    !stdout.contains(forbidden),
                    "{name}: `{forbidden}` in:\n{stdout}"
                );
            }
        }
    }
}
