//! The container image, built and run for real with podman (`cargo xtask
//! image` builds `localhost/python-sandbox:latest` first; `cargo xtask test`
//! and CI do): the compose file run by podman-compose as it is, the same
//! image started without the security options it needs (unhealthy and not
//! ready, never a failing run counted as a success), and a delegated cgroup
//! subtree giving the container full isolation. Needs root, as CI has.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serving::{get_json, http};
use crate::tier::{Tier, require};

/// The image `cargo xtask image` tags, which the compose file names.
const IMAGE: &str = "localhost/python-sandbox:latest";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// podman with the repository's configuration (as `cargo xtask image`).
fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .env(
            "CONTAINERS_CONF",
            root().join("deploy/podman/containers.conf"),
        )
        .args(args)
        .output()
        .expect("podman runs (installed by the test set-up)")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Fails loudly when the image is missing.
fn require_image() {
    let exists = podman(&["image", "exists", IMAGE]);
    assert!(
        exists.status.success(),
        "{IMAGE} is missing: build it with `cargo xtask image` (cargo xtask test does)"
    );
}

/// A container removed on drop, whatever the test did.
struct Container {
    name: String,
}

impl Container {
    /// `podman run -d --name NAME options IMAGE`.
    fn run(name: &str, options: &[&str]) -> Self {
        let _ = podman(&["rm", "-f", "-t", "0", name]);
        let mut args = vec!["run", "-d", "--name", name];
        args.extend_from_slice(options);
        args.push(IMAGE);
        let output = podman(&args);
        assert!(output.status.success(), "podman run: {}", text(&output));
        Self {
            name: name.to_owned(),
        }
    }

    fn exec(&self, command: &[&str]) -> Output {
        let mut args = vec!["exec", self.name.as_str()];
        args.extend_from_slice(command);
        podman(&args)
    }

    fn logs(&self) -> String {
        text(&podman(&["logs", &self.name]))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman(&["rm", "-f", "-t", "0", &self.name]);
    }
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for the server at `base` to answer `path` with `status`.
async fn wait_for(base: &str, path: &str, status: u16, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        if let Ok(response) = http().get(format!("{base}{path}")).send().await
            && response.status() == status
        {
            return response.json().await.unwrap_or(Value::Null);
        }
        assert!(
            start.elapsed() < limit,
            "{base}{path} never answered {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn execute(base: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = http()
        .post(format!("{base}/execute"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// What every container run checks: the original's example, a memory bomb,
/// a timeout, files out, a real run inside by `sandbox doctor`.
async fn runs_as_documented(base: &str, key: Option<&str>, container: &str, isolation: &str) {
    let (status, result) = execute(base, key, json!({"code": "print(\"Hello, World!\")"})).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["stdout"], "Hello, World!\n", "{result}");
    assert_eq!(result["isolation"], isolation, "{result}");

    let bomb = json!({"code": "x = bytearray(600 << 20)\nprint('allocated')", "memory_mb": 128});
    let (_, result) = execute(base, key, bomb).await;
    assert_eq!(result["status"], "memory_limit", "{result}");

    let spin = json!({"code": "while True:\n    pass", "timeout": 1});
    let (_, result) = execute(base, key, spin).await;
    assert_eq!(result["status"], "timeout", "{result}");

    let files = json!({"code": "open('out.txt', 'w').write(open('in.txt').read().upper())",
        "input_files": {"in.txt": "aGVsbG8="}});
    let (_, result) = execute(base, key, files).await;
    assert_eq!(result["output_files"]["out.txt"], "SEVMTE8=", "{result}");

    let doctor = podman(&["exec", container, "sandbox", "doctor"]);
    let report = text(&doctor);
    assert!(doctor.status.success(), "{report}");
    assert!(
        report.contains(&format!("A real secure run at `{isolation}`: ok")),
        "{report}"
    );
    let health = podman(&["healthcheck", "run", container]);
    assert!(health.status.success(), "unhealthy: {}", text(&health));
}

/// `podman-compose` on the compose files, with `SANDBOX_API_KEYS` set.
fn compose(project: &str, files: &[&str], extra: &[&str], args: &[&str]) -> Output {
    let program = root().join("target/deploy-tools/venv/bin/podman-compose");
    assert!(
        program.exists(),
        "{} is missing: run .ci/setup",
        program.display()
    );
    let mut command = Command::new(&program);
    command
        .env(
            "CONTAINERS_CONF",
            root().join("deploy/podman/containers.conf"),
        )
        .env("SANDBOX_API_KEYS", "compose-key")
        .args(["--in-pod", "false", "-p", project]);
    for file in files {
        command.arg("-f").arg(root().join(file));
    }
    command
        .args(extra)
        .args(args)
        .output()
        .expect("podman-compose runs")
}

/// A compose project taken down on drop.
struct Project<'a> {
    name: &'a str,
    files: &'a [&'a str],
}

impl Drop for Project<'_> {
    fn drop(&mut self) {
        let _ = compose(self.name, self.files, &[], &["down", "-t", "5"]);
    }
}

/// Runs the compose `files` as a project, checks it as documented at
/// `isolation`, and stops it with SIGTERM (exit 0).
async fn compose_up_and_check(project: &str, files: &[&str], extra: &[&str], isolation: &str) {
    let _ = compose(project, files, &[], &["down", "-t", "0"]);
    let up = compose(project, files, extra, &["up", "-d"]);
    assert!(up.status.success(), "podman-compose up: {}", text(&up));
    let _down = Project {
        name: project,
        files,
    };
    let container = format!("{project}_sandbox_1");
    // The compose file publishes 127.0.0.1:8000.
    let base = "http://127.0.0.1:8000";
    wait_for(base, "/readyz", 200, Duration::from_secs(60)).await;

    // API keys: 401 without, 200 with.
    let (status, body) = execute(base, None, json!({"code": "print(1)"})).await;
    assert_eq!(status, 401, "{body}");
    runs_as_documented(base, Some("compose-key"), &container, isolation).await;

    // SIGTERM: the server drains and exits 0.
    let stop = podman(&["stop", "-t", "75", &container]);
    assert!(stop.status.success(), "{}", text(&stop));
    let exit = podman(&["inspect", "-f", "{{.State.ExitCode}}", &container]);
    assert_eq!(String::from_utf8_lossy(&exit.stdout).trim(), "0");
    let logs = text(&podman(&["logs", &container]));
    assert!(logs.contains("shut down cleanly"), "{logs}");
}

/// The compose file as it is (no cgroups in the container: `no-cgroups`),
/// then with `docker-compose.cgroups-v1.yml` on a subtree made by
/// `deploy/cgroups/delegate-v1.sh` (`full`). One test: both publish port
/// 8000, as the file says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compose_files_run_secure_mode_as_documented() {
    require!(Tier::Container);
    require_image();
    compose_up_and_check(
        "sandbox-compose-test",
        &["deploy/docker-compose.yml"],
        &[],
        "no-cgroups",
    )
    .await;

    let parents = ["memory", "pids"].map(|c| PathBuf::from("/sys/fs/cgroup").join(c));
    assert!(
        parents.iter().all(|p| p.join("tasks").exists()),
        "this test needs a cgroup v1 host (memory and pids hierarchies), as CI's is"
    );
    let _subtree = Delegated::new("python-sandbox");
    // podman-compose ignores `cgroup` and `cgroup_parent` (Docker Compose
    // reads them): the same two options, given to podman directly.
    compose_up_and_check(
        "sandbox-compose-cgroups-test",
        &[
            "deploy/docker-compose.yml",
            "deploy/docker-compose.cgroups-v1.yml",
        ],
        &[
            "--podman-run-args",
            "--cgroupns=private --cgroup-parent=/python-sandbox",
        ],
        "full",
    )
    .await;
}

/// A cgroup v1 subtree made by `deploy/cgroups/delegate-v1.sh`, removed
/// (with whatever the container engine left below it) on drop.
struct Delegated {
    groups: [PathBuf; 2],
}

impl Delegated {
    fn new(name: &str) -> Self {
        let status = Command::new("bash")
            .arg(root().join("deploy/cgroups/delegate-v1.sh"))
            .args([name, "10001", "2147483648", "1024"])
            .status()
            .unwrap();
        assert!(status.success());
        Self {
            groups: ["memory", "pids"].map(|c| PathBuf::from("/sys/fs/cgroup").join(c).join(name)),
        }
    }
}

impl Drop for Delegated {
    fn drop(&mut self) {
        for _ in 0..50 {
            for group in &self.groups {
                let _ = Command::new("find")
                    .arg(group)
                    .args(["-depth", "-type", "d", "-exec", "rmdir", "{}", ";"])
                    .output();
            }
            if self.groups.iter().all(|g| !g.exists()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Without the security options, the same image cannot set up a sandbox:
/// it says so (not ready, unhealthy, `sandbox_error` results naming the
/// step) instead of failing every run behind a healthy face.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_security_options_the_container_says_it_cannot_run() {
    require!(Tier::Container);
    require_image();
    for (name, options, step) in [
        // The default seccomp profile refuses sethostname.
        ("sandbox-test-default", vec![], "could not set the hostname"),
        // Masked /proc paths refuse a fresh proc mount.
        (
            "sandbox-test-masked",
            vec!["--security-opt", "seccomp=unconfined"],
            "could not mount a fresh /proc",
        ),
    ] {
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:8000");
        let mut all = vec!["-p", publish.as_str(), "--user", "10001:10001"];
        all.extend(options);
        let container = Container::run(name, &all);
        let base = format!("http://127.0.0.1:{port}");
        let ready = wait_for(&base, "/readyz", 503, Duration::from_secs(60)).await;
        assert!(
            ready["reason"].as_str().unwrap_or("").contains(step),
            "{name}: {ready}\n{}",
            container.logs()
        );
        let health = get_json(&format!("{base}/")).await;
        assert_eq!(health["status"], "unhealthy", "{health}");
        let (status, result) = execute(&base, None, json!({"code": "print(1)"})).await;
        assert_eq!(status, 200);
        assert_eq!(result["status"], "sandbox_error", "{result}");
        assert!(
            result["message"].as_str().unwrap().contains(step),
            "{result}"
        );
        let check = podman(&["healthcheck", "run", name]);
        assert!(!check.status.success(), "{name} reported healthy");
        let doctor = container.exec(&["sandbox", "doctor"]);
        assert_eq!(doctor.status.code(), Some(1), "{}", text(&doctor));
        assert!(text(&doctor).contains(step), "{}", text(&doctor));
    }
}

/// With a delegated cgroup subtree, a run's memory limit is its cgroup's:
/// the kernel stops the bomb at the limit (not an rlimit), and the run
/// reports `full` isolation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegated_cgroup_subtree_limits_each_run_by_its_cgroup() {
    require!(Tier::Container);
    require_image();
    let name = "sandbox-test-delegated";
    let _subtree = Delegated::new(name);
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:8000");
    let memory = format!("/sys/fs/cgroup/memory/{name}:/sys/fs/cgroup/memory:rw");
    let pids = format!("/sys/fs/cgroup/pids/{name}:/sys/fs/cgroup/pids:rw");
    let parent = format!("/{name}");
    let options = [
        "-p",
        &publish,
        "--user",
        "10001:10001",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "systempaths=unconfined",
        "--security-opt",
        "no-new-privileges",
        "--read-only",
        "--tmpfs",
        "/tmp:size=256m,mode=1777",
        "--cgroupns",
        "private",
        "--cgroup-parent",
        &parent,
        "-v",
        &memory,
        "-v",
        &pids,
        "-e",
        "SANDBOX_ISOLATION=full",
    ];
    let container = Container::run(name, &options);
    let base = format!("http://127.0.0.1:{port}");
    let ready = wait_for(&base, "/readyz", 200, Duration::from_secs(60)).await;
    assert_eq!(ready["ready"], true, "{ready}\n{}", container.logs());
    let bomb = json!({"code": "x = bytearray(600 << 20)", "memory_mb": 128});
    let (_, result) = execute(&base, None, bomb).await;
    assert_eq!(result["status"], "memory_limit", "{result}");
    assert_eq!(result["isolation"], "full", "{result}");
    assert!(
        result["message"]
            .as_str()
            .unwrap_or("")
            .contains("the kernel stopped the program"),
        "{result}"
    );
    drop(container);
}
