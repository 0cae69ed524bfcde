//! Warm sandboxes: the pool of prepared secure sandboxes, through the
//! library and a real server. The shared cases give the same results
//! through the pool as cold; nothing carries over from one pooled run to the
//! next; parallel checkouts, a sandbox killed while it waits, refills after
//! exhaustion, closing with sandboxes waiting, and the figures on `GET /`
//! and `/metrics`.

use std::path::Path;
use std::time::Duration;

use sandbox_client::{
    ClientConfig, ExecutionMode, ExecutionRequest, PolicyChoice, SandboxClient, Status,
};
use tempfile::TempDir;

use crate::serving::{TestServer, get_json, metric, metrics, wait_until};
use crate::support::{leftovers, processes_in_cgroup, run_cgroups_of};

use crate::tier::{Tier, require};

/// A secure-mode client keeping `size` sandboxes prepared, its work dirs
/// under a private root (no policy: these programs look around with `os`).
fn pooled(size: usize) -> (TempDir, SandboxClient) {
    pooled_with(size, PolicyChoice::Off)
}

fn pooled_with(size: usize, policy: PolicyChoice) -> (TempDir, SandboxClient) {
    let root = tempfile::tempdir().expect("temp dir");
    let client = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        policy,
        work_root: Some(root.path().to_owned()),
        pool_size: size,
        ..crate::support::config()
    })
    .expect("valid config");
    (root, client)
}

/// A client without a pool, configured as [`pooled`]'s, for side-by-side
/// comparisons.
fn cold_client(root: &Path) -> SandboxClient {
    SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        policy: PolicyChoice::Off,
        work_root: Some(root.to_owned()),
        ..crate::support::config()
    })
    .expect("valid config")
}

/// Waits until `ready` sandboxes wait in the pool.
async fn until_ready(client: &SandboxClient, ready: usize) {
    for _ in 0..500 {
        let stats = client.pool_stats().expect("a pool");
        if stats.ready >= ready {
            return;
        }
        assert!(
            stats.failed_refills == 0,
            "the pool cannot prepare sandboxes: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the pool did not get {ready} sandboxes ready: {:?}",
        client.pool_stats()
    );
}

/// After the pool is closed, nothing of it is left: no run dir, no cgroup,
/// no process.
async fn closes_clean(client: &SandboxClient, root: &Path) {
    client.close_pool().await;
    assert_eq!(leftovers(root), Vec::<String>::new(), "run dirs left");
    let own = std::process::id() as i32;
    let left = run_cgroups_of(own);
    let busy: Vec<_> = left
        .iter()
        .filter_map(|dir| dir.file_name()?.to_str().map(str::to_owned))
        .filter(|name| name.contains(&format!("-{own}-")) || !processes_in_cgroup(name).is_empty())
        .filter(|name| !processes_in_cgroup(name).is_empty())
        .collect();
    assert!(busy.is_empty(), "processes left in cgroups {busy:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shared_cases_give_the_same_results_through_the_pool_as_cold() {
    let (root, client) = pooled_with(2, PolicyChoice::ByMode);
    let cold = SandboxClient::from_config(ClientConfig {
        work_root: Some(root.path().to_owned()),
        ..crate::support::config()
    })
    .unwrap();
    client.warm().await.unwrap();
    let cases = crate::remote::cases();
    for case in &cases {
        until_ready(&client, 2).await;
        let hits = client.pool_stats().unwrap().hits;
        let warm = client.execute_request(case.request.clone()).await.unwrap();
        // Code refused before it runs needs no sandbox.
        let ran = !matches!(warm.status, Status::SyntaxError | Status::PolicyViolation);
        assert_eq!(
            client.pool_stats().unwrap().hits,
            hits + u64::from(ran),
            "{}: not served by the pool",
            case.name
        );
        let here = cold.execute_request(case.request.clone()).await.unwrap();
        (case.check)(&warm);
        assert_eq!(
            crate::remote::without_timings(warm),
            crate::remote::without_timings(here),
            "{}: pooled and cold differ",
            case.name
        );
    }
    closes_clean(&client, root.path()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_carries_over_between_pooled_runs() {
    let (root, client) = pooled(1);
    client.warm().await.unwrap();
    until_ready(&client, 1).await;
    let first = client
        .execute_request(
            ExecutionRequest::new(
                r#"
import os, signal, sys, threading, time, decimal
for path in ("left.txt", "/tmp/left.txt", "/dev/shm/left.txt"):
    open(path, "w").write("x")
os.environ["LEFT_BEHIND"] = "1"
signal.signal(signal.SIGTERM, lambda *a: None)
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
if os.fork() == 0:
    time.sleep(60)
print("marked")
"#,
            )
            .with_file("input.txt", "from the first run"),
        )
        .await
        .unwrap();
    assert_eq!(first.stdout, "marked\n", "{first:?}");
    until_ready(&client, 1).await;
    let second = client
        .execute(
            r#"
import os, signal, sys, threading
print(sorted(p for p in ("left.txt", "input.txt", "/tmp/left.txt", "/dev/shm/left.txt") if os.path.exists(p)))
print(os.environ.get("LEFT_BEHIND"))
print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
print(threading.active_count())
print("decimal" in sys.modules)
print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()) == [1, os.getpid()])
"#,
        )
        .await
        .unwrap();
    assert_eq!(
        second.stdout, "[]\nNone\nTrue\n1\nFalse\nTrue\n",
        "{second:?}"
    );
    assert_eq!(client.pool_stats().unwrap().hits, 2);
    closes_clean(&client, root.path()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_checkouts_each_get_a_sandbox_of_their_own() {
    let (root, client) = pooled(2);
    client.warm().await.unwrap();
    until_ready(&client, 2).await;
    let mut runs = tokio::task::JoinSet::new();
    for i in 0..8 {
        let client = client.clone();
        runs.spawn(async move {
            let request = ExecutionRequest::new(
                "import os\nopen('mine.txt', 'w').write(open('n.txt').read())\n\
                 print(open('n.txt').read(), sorted(os.listdir('.')))",
            )
            .with_file("n.txt", i.to_string());
            (i, client.execute_request(request).await.unwrap())
        });
    }
    for (i, result) in runs.join_all().await {
        assert_eq!(result.status, Status::Ok, "{result:?}");
        assert_eq!(result.stdout, format!("{i} ['mine.txt', 'n.txt']\n"));
        assert_eq!(result.file_text("mine.txt"), Some(i.to_string().as_str()));
    }
    let stats = client.pool_stats().unwrap();
    assert_eq!(stats.hits + stats.misses, 8, "{stats:?}");
    assert!(stats.hits >= 2, "{stats:?}");
    // It refills after being emptied, every sandbox from the fork server.
    until_ready(&client, 2).await;
    let stats = client.pool_stats().unwrap();
    assert!(stats.refills >= 4, "{stats:?}");
    assert_eq!(stats.forked, stats.refills, "{stats:?}");
    closes_clean(&client, root.path()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_killed_while_it_waits_is_replaced() {
    require!(Tier::Cgroups);
    let (root, client) = pooled(1);
    client.warm().await.unwrap();
    until_ready(&client, 1).await;
    // The waiting interpreter: the only process in the only run cgroup
    // with a process in it.
    let mut runs: Vec<String> = run_cgroups_of(std::process::id() as i32)
        .iter()
        .filter_map(|dir| dir.file_name()?.to_str().map(str::to_owned))
        .filter(|name| !processes_in_cgroup(name).is_empty())
        .collect();
    runs.sort();
    runs.dedup();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let waiting = processes_in_cgroup(&runs[0]);
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(waiting[0]),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let result = client.execute("print('still served')").await.unwrap();
    assert_eq!(result.stdout, "still served\n", "{result:?}");
    let stats = client.pool_stats().unwrap();
    assert_eq!(stats.died_idle, 1, "{stats:?}");
    // Served by the replacement if it was ready in time, else cold: never
    // by the dead one.
    assert_eq!(stats.hits + stats.misses, 1, "{stats:?}");
    // The replacement may still be on its way under load.
    until_ready(&client, 1).await;
    let stats = client.pool_stats().unwrap();
    assert!(stats.refills >= 2, "{stats:?}");
    closes_clean(&client, root.path()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_are_the_requests_own_not_the_prepared_sandboxs() {
    let (root, client) = pooled(1);
    client.warm().await.unwrap();
    until_ready(&client, 1).await;
    let bomb = client
        .execute_request(
            ExecutionRequest::new("x = bytearray(200 * 1024 * 1024)\nprint('allocated')")
                .with_memory_mb(64),
        )
        .await
        .unwrap();
    assert_eq!(bomb.status, Status::MemoryLimit, "{bomb:?}");
    until_ready(&client, 1).await;
    let spin = client
        .execute_request(
            ExecutionRequest::new("while True: pass").with_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    assert_eq!(spin.status, Status::Timeout, "{spin:?}");
    assert!(spin.duration_ms < 3000.0, "{spin:?}");
    assert_eq!(client.pool_stats().unwrap().hits, 2);
    closes_clean(&client, root.path()).await;
}

#[test]
fn dropping_the_client_ends_its_waiting_sandboxes() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (root, client) = pooled(2);
    runtime.block_on(async {
        client.warm().await.unwrap();
        until_ready(&client, 2).await;
    });
    drop(client);
    drop(runtime);
    assert!(
        wait_until(Duration::from_secs(10), || leftovers(root.path())
            .is_empty()),
        "run dirs left: {:?}",
        leftovers(root.path())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_keeps_sandboxes_ready_and_says_so() {
    let mut server = TestServer::start(&["--pool-size", "2"], &[]);
    let url = server.url.clone();
    let ready = async || get_json(&format!("{url}/")).await["pool"]["ready"].as_u64();
    for _ in 0..500 {
        if ready().await == Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let health = get_json(&format!("{url}/")).await;
    assert_eq!(health["pool"]["size"], 2, "{health}");
    assert_eq!(health["pool"]["ready"], 2, "{health}");
    let result: serde_json::Value =
        crate::serving::execute(&server, &serde_json::json!({"code": "print(6 * 7)"}), None)
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(result["stdout"], "42\n", "{result}");
    let text = metrics(&server).await;
    assert_eq!(metric(&text, "sandbox_pool_hits_total", ""), 1.0, "{text}");
    assert_eq!(metric(&text, "sandbox_pool_size", ""), 2.0, "{text}");
    // Shut down with sandboxes waiting: exit 0, nothing left.
    server.signal(nix::sys::signal::Signal::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(10)).expect("exits");
    assert!(status.success(), "{status:?}\n{}", server.log());
    assert_eq!(server.leftovers(), Vec::<String>::new());
    assert!(
        server.descendants().is_empty(),
        "{:?}",
        server.descendants()
    );
    assert!(run_cgroups_of(server.pid()).is_empty());
    let off = TestServer::start(&["--pool-size", "0"], &[]);
    assert!(get_json(&off.at("/")).await["pool"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pooled_program_ends_as_a_cold_one() {
    let (root, client) = pooled(1);
    let cold = cold_client(root.path());
    client.warm().await.unwrap();
    let programs = [
        "import atexit, sys\natexit.register(print, 'bye')\nsys.exit(3)",
        "raise SystemExit('stopped')",
        "import os\nprint('x', flush=True)\nos._exit(7)",
        "import threading, time\nthreading.Thread(target=lambda: (time.sleep(0.2), print('late'))).start()",
        "print(undefined)",
        "f = open('left-open.txt', 'w')\nf.write('kept')\nclass Noisy:\n    def __del__(self):\n        print('finalized')\nn = Noisy()",
        "import sys\nsys.exit(None)",
    ];
    for code in programs {
        until_ready(&client, 1).await;
        let pooled = client.execute(code).await.unwrap();
        let fresh = cold.execute(code).await.unwrap();
        let ending = |r: &sandbox_client::ExecutionResult| {
            (
                r.status,
                r.return_code,
                r.stdout.clone(),
                r.stderr.clone(),
                r.output_files.clone(),
            )
        };
        assert_eq!(ending(&pooled), ending(&fresh), "{code}");
    }
    // What a module the code imported holds is released at the end as
    // the interpreter releases it: its open file flushed, its finalizer
    // run, a zip archive of __main__'s closed while zipfile is whole.
    let helper = "log = open('helper.txt', 'w')\nlog.write('from helper')\n\
                  class D:\n    def __del__(self):\n        print('helper finalized')\nd = D()\n";
    let code =
        "import helper, zipfile\nz = zipfile.ZipFile('z.zip', 'w')\nz.writestr('a.txt', 'hi')";
    until_ready(&client, 1).await;
    for client in [&client, &cold] {
        let request = ExecutionRequest::new(code).with_file("helper.py", helper);
        let result = client.execute_request(request).await.unwrap();
        assert_eq!(result.stdout, "helper finalized\n", "{result:?}");
        assert_eq!(
            result.file_text("helper.txt"),
            Some("from helper"),
            "{result:?}"
        );
        let zip = result.file("z.zip").expect("the archive");
        // An archive closed properly ends with its end-of-directory record.
        assert!(zip.len() > 22, "{result:?}");
        assert_eq!(&zip[zip.len() - 22..][..4], b"PK\x05\x06", "{result:?}");
    }
    assert_eq!(client.pool_stats().unwrap().hits, programs.len() as u64 + 1);
    closes_clean(&client, root.path()).await;
}

/// What the kernel holds a program to, as it sees it: the same in a pooled
/// (forked) sandbox as in a cold one. (Pids differ: a cold sandbox's
/// program is pid 3, after the root's builder; and a forked sandbox's own
/// tmpfs and /proc sit on the fork server's, so its mount table lists
/// those paths twice.)
const KERNEL_LAYERS: &str = r#"import os, socket
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
for key in ("Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"):
    print(key, status[key].strip())
for action in (lambda: os.execv("/usr/bin/true", ["true"]), lambda: os.unshare(os.CLONE_NEWUSER) if hasattr(os, "unshare") else os.setns(0)):
    try:
        action()
        print("allowed")
    except (OSError, AttributeError) as exc:
        print("refused", type(exc).__name__, getattr(exc, "errno", None))
try:
    socket.create_connection(("10.0.0.1", 80), timeout=1)
except OSError as exc:
    print("network", type(exc).__name__)
print("processes", len([p for p in os.listdir("/proc") if p.isdigit()]))
print("userns", open("/proc/sys/user/max_user_namespaces").read().strip())
print("hostname", os.uname().nodename, "cwd", os.getcwd(), "tmp", os.listdir("/tmp"))
print(sorted(set(l.split()[4] for l in open("/proc/self/mountinfo"))))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_pooled_sandbox_has_the_kernel_layers_of_a_cold_one() {
    let (root, client) = pooled(1);
    let cold = cold_client(root.path());
    client.warm().await.unwrap();
    until_ready(&client, 1).await;
    let pooled = client.execute(KERNEL_LAYERS).await.unwrap();
    let fresh = cold.execute(KERNEL_LAYERS).await.unwrap();
    assert_eq!(pooled.status, Status::Ok, "{pooled:?}");
    assert_eq!(pooled.stdout, fresh.stdout);
    for expected in [
        "CapEff 0000000000000000",
        "NoNewPrivs 1",
        "Seccomp 2",
        "userns 0",
    ] {
        assert!(
            pooled.stdout.contains(expected),
            "{expected}: {}",
            pooled.stdout
        );
    }
    assert!(
        pooled.stdout.contains("refused OSError 38"),
        "{}",
        pooled.stdout
    );
    assert_eq!(client.pool_stats().unwrap().hits, 1);
    closes_clean(&client, root.path()).await;
}
