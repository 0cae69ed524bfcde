//! Secure mode from the inside and at its limits. The red-team suite
//! (`redteam`) attacks it; these check that each layer is in place and that
//! each limit ends the run with its own status.

use std::time::{Duration, Instant};

use sandbox_client::{
    ClientConfig, ExecutionMode, ExecutionRequest, Isolation, PolicyChoice, SandboxClient, Status,
};

use crate::support::client;

use crate::tier::{Tier, require};

fn secure(code: &str) -> ExecutionRequest {
    ExecutionRequest::new(code).with_mode(ExecutionMode::Secure)
}

#[tokio::test]
async fn every_layer_is_visible_from_inside() {
    require!(Tier::Cgroups);
    let code = r#"
import os, resource, socket
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
print("NoNewPrivs", status["NoNewPrivs"])
print("Seccomp", status["Seccomp"])
print("CapEff", status["CapEff"], "CapBnd", status["CapBnd"])
print("uid", os.getuid(), os.getgid())
print("uid_map", [l.split() for l in open("/proc/self/uid_map").read().splitlines()])
print("hostname", socket.gethostname())
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("pids", len(pids), pids[0], os.getpid() in pids)
print("cwd", os.getcwd(), os.environ["HOME"])
print("root", sorted(os.listdir("/")))
for name in ("RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_FSIZE", "RLIMIT_CPU"):
    print(name, *resource.getrlimit(getattr(resource, name)))
"#;
    let result = client(ExecutionMode::Secure).execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(result.isolation, Some(Isolation::Full));
    let out = &result.stdout;
    for expected in [
        "NoNewPrivs 1\n",
        "Seccomp 2\n",
        "CapEff 0000000000000000 CapBnd 0000000000000000\n",
        "uid 1000 1000\n",
        "hostname sandbox\n",
        // Init (pid 1) and the program: nothing of the host.
        "pids 2 1 True\n",
        "cwd /sandbox /sandbox\n",
        "RLIMIT_NOFILE 256 256\n",
        "RLIMIT_CORE 0 0\n",
        "RLIMIT_FSIZE 67108864 67108864\n",
        "RLIMIT_CPU 31 32\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // Run as root here: the sandbox user is a host id of its own, from the
    // reserved range, the only id mapped.
    let map_line = out.lines().find(|l| l.starts_with("uid_map ")).unwrap();
    let host_id: u32 = map_line
        .split('\'')
        .nth(3)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{map_line}"));
    assert!(map_line.starts_with("uid_map [['1000', '"), "{map_line}");
    assert!(map_line.ends_with("', '1']]"), "{map_line}");
    assert!(
        (0x7000_0000..0x7000_0000 + 65536).contains(&host_id),
        "{map_line}"
    );
    let root_line = out.lines().find(|l| l.starts_with("root ")).unwrap();
    for host_only in ["'home'", "'var'", "'run'", "'boot'", "'srv'", "'mnt'"] {
        assert!(!root_line.contains(host_only), "{root_line}");
    }
}

#[tokio::test]
async fn a_memory_bomb_is_a_memory_limit() {
    let code = "x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n";
    let result = client(ExecutionMode::Secure)
        .execute_request(secure(code).with_memory_mb(64))
        .await
        .unwrap();
    assert_eq!(result.status, Status::MemoryLimit, "{result:?}");
    let message = result.message.unwrap_or_default();
    assert!(
        message.contains("memory limit of 64 MiB reached"),
        "{message}"
    );
}

#[tokio::test]
async fn a_busy_loop_times_out_within_a_second_of_the_limit() {
    let start = Instant::now();
    let result = client(ExecutionMode::Secure)
        .execute_request(
            secure("print('go', flush=True)\nwhile True: pass")
                .with_timeout(Duration::from_secs(1)),
        )
        .await
        .unwrap();
    assert_eq!(result.status, Status::Timeout, "{result:?}");
    assert_eq!(result.stdout, "go\n");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn output_files_survive_a_timeout() {
    let code = "open('partial.txt', 'w').write('progress')\nwhile True: pass";
    let result = client(ExecutionMode::Secure)
        .execute_request(secure(code).with_timeout(Duration::from_millis(700)))
        .await
        .unwrap();
    assert_eq!(result.status, Status::Timeout);
    assert_eq!(result.file_text("partial.txt"), Some("progress"));
}

#[tokio::test]
async fn a_stdout_flood_is_an_output_limit() {
    let start = Instant::now();
    let code = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n";
    let result = client(ExecutionMode::Secure).execute(code).await.unwrap();
    assert_eq!(result.status, Status::OutputLimit, "{result:?}");
    assert!(result.stdout_truncated);
    assert_eq!(result.stdout.len(), 1 << 20);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// Off, no socket opens; on, the host's address is refused by route until
/// the operator allows it, and the host's loopback never answers (the
/// sandbox's 127.0.0.1 is its own).
#[tokio::test]
async fn the_network_switch_works_both_ways() {
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let address = nix::ifaddrs::getifaddrs()
        .unwrap()
        .filter_map(|interface| {
            interface
                .address?
                .as_sockaddr_in()
                .map(nix::sys::socket::SockaddrIn::ip)
        })
        .find(|ip| !ip.is_loopback())
        .expect("an IPv4 address outside loopback");
    let code = format!(
        "import socket\nfor host in ('127.0.0.1', '{address}'):\n    try:\n        socket.create_connection((host, {port}), timeout=2).close()\n        print('connected')\n    except OSError as e:\n        print('blocked', type(e).__name__, e.errno)\n"
    );
    let off = client(ExecutionMode::Secure)
        .execute_request(secure(&code))
        .await
        .unwrap();
    assert_eq!(
        off.stdout, "blocked PermissionError 1\nblocked PermissionError 1\n",
        "{}",
        off.stderr
    );
    assert!(
        listener.accept().is_err(),
        "the canary saw a connection with the network off"
    );

    let on = client(ExecutionMode::Secure)
        .execute_request(secure(&code).with_network(true))
        .await
        .unwrap();
    assert_eq!(
        on.stdout, "blocked ConnectionRefusedError 111\nblocked OSError 113\n",
        "{}",
        on.stderr
    );
    assert!(
        listener.accept().is_err(),
        "the canary saw a connection with the host refused"
    );

    let allowed = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Secure,
        policy: PolicyChoice::Off,
        allowed_networks: sandbox_core::network::parse_allowed(&address.to_string()).unwrap(),
        ..crate::support::config()
    })
    .unwrap();
    let on = allowed
        .execute_request(secure(&code).with_network(true))
        .await
        .unwrap();
    assert_eq!(
        on.stdout, "blocked ConnectionRefusedError 111\nconnected\n",
        "{}",
        on.stderr
    );
    assert!(
        listener.accept().is_ok(),
        "the canary saw nothing from the allowed sandbox"
    );
}

#[tokio::test]
async fn nothing_is_executed_after_the_interpreter_starts() {
    let code = r#"
import subprocess, sys
for argv in (["/bin/ls", "/"], [sys.executable, "-c", "print(6 * 7)"]):
    try:
        subprocess.run(argv)
        print("ran")
    except OSError as e:
        print("blocked:", e.strerror)
"#;
    let result = client(ExecutionMode::Secure).execute(code).await.unwrap();
    assert_eq!(
        result.stdout, "blocked: Function not implemented\nblocked: Function not implemented\n",
        "{}",
        result.stderr
    );
}

#[tokio::test]
async fn a_daemonized_grandchild_dies_with_the_run() {
    let code = r#"
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1)
        open("/sandbox/after.txt", "w").write("still alive")
        os._exit(0)
    os._exit(0)
print("parent done")
"#;
    let result = client(ExecutionMode::Secure).execute(code).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert!(result.file("after.txt").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sandboxes_do_not_see_each_other() {
    let writer = tokio::spawn(async {
        let code = "import time\nopen('marker-7f3a.txt', 'w').write('x')\nopen('/tmp/marker-7f3a', 'w').write('x')\ntime.sleep(1.5)";
        client(ExecutionMode::Secure).execute(code).await.unwrap()
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let code = r#"
import os
found = []
for top in ("/sandbox", "/tmp", "/proc"):
    for dirpath, dirs, files in os.walk(top):
        if dirpath.startswith("/proc/") and dirpath.count("/") > 2:
            dirs[:] = []
        found += [f for f in files + dirs if "marker-7f3a" in f]
print(found, len([p for p in os.listdir("/proc") if p.isdigit()]))
"#;
    let reader = client(ExecutionMode::Secure).execute(code).await.unwrap();
    assert_eq!(reader.stdout, "[] 2\n", "{}", reader.stderr);
    assert_eq!(writer.await.unwrap().status, Status::Ok);
}

/// `exit()` and `quit()` come from `site`, which secure mode skips; the
/// bootstrap keeps them, so scripts that end with them behave as at home.
#[tokio::test]
async fn exit_and_quit_work_without_site() {
    for mode in crate::support::MODES {
        for (code, status, return_code) in [
            ("print('a')\nexit()\nprint('b')\n", Status::Ok, 0),
            ("quit(3)\n", Status::Error, 3),
            ("print(repr(exit))\n", Status::Ok, 0),
        ] {
            let result = crate::support::default_client()
                .execute_request(ExecutionRequest::new(code).with_mode(mode))
                .await
                .unwrap();
            assert_eq!(result.status, status, "{mode:?} {code}: {}", result.stderr);
            assert_eq!(result.return_code, Some(return_code), "{mode:?} {code}");
            assert!(!result.stdout.contains('b'), "{}", result.stdout);
        }
    }
}

/// An interpreter in a virtualenv (anywhere but the paths the sandbox
/// replaces) runs in secure mode with the venv's own packages importable;
/// one under `/tmp`, which the sandbox replaces, is refused by name.
#[tokio::test]
async fn a_virtualenv_interpreter_runs_with_its_packages() {
    // /var/tmp, not the checkout, which may itself lie under /tmp.
    let root = tempfile::tempdir_in("/var/tmp").unwrap();
    let venv = root.path().join("venv");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(made.success(), "python3 -m venv failed");
    let site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    std::fs::write(site.join("venvmark.py"), "WHERE = __file__\n").unwrap();

    let python = venv.join("bin/python");
    let client = sandbox_client::SandboxClient::from_config(sandbox_client::ClientConfig {
        python: Some(python.clone()),
        policy: sandbox_client::PolicyChoice::Off,
        ..crate::support::config()
    })
    .unwrap();
    let result = client
        .execute("import venvmark\nprint(venvmark.WHERE)\n")
        .await
        .unwrap();
    assert_eq!(result.status, Status::Ok, "{}", result.stderr);
    assert_eq!(
        result.stdout.trim(),
        site.join("venvmark.py").display().to_string()
    );

    let hidden = tempfile::tempdir_in("/tmp").unwrap();
    let made = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(hidden.path().join("venv"))
        .status()
        .unwrap();
    assert!(made.success());
    let client = sandbox_client::SandboxClient::from_config(sandbox_client::ClientConfig {
        python: Some(hidden.path().join("venv/bin/python")),
        ..crate::support::config()
    })
    .unwrap();
    let err = client.execute("print(1)").await.unwrap_err().to_string();
    assert!(
        err.contains("lies under `/tmp`, which secure mode replaces with its own"),
        "{err}"
    );
}

/// A work root only its owner may enter (a private `TMPDIR`, as `mktemp -d`
/// or pytest make) still works: the sandbox user never walks its host path.
#[tokio::test]
async fn a_private_work_root_works() {
    use std::os::unix::fs::PermissionsExt as _;
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let config = ClientConfig {
        mode: ExecutionMode::Secure,
        work_root: Some(private.path().to_owned()),
        ..crate::support::config()
    };
    let client = SandboxClient::from_config(config).unwrap();
    let request = secure("open('out.txt', 'w').write(open('in.txt').read() * 2)\nprint('ran')")
        .with_file("in.txt", "ab");
    let result = client.execute_request(request).await.unwrap();
    assert_eq!(result.status, Status::Ok, "{result:?}");
    assert_eq!(result.stdout, "ran\n");
    assert_eq!(result.file_text("out.txt"), Some("abab"));
    assert_eq!(std::fs::read_dir(private.path()).unwrap().count(), 0);
}
