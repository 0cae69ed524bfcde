//! A sandbox with the network allowed reaches out, and never the host.
//!
//! Each test makes a network namespace that stands for the host's network
//! (as root: `unshare --net --mount`): its loopback holds an allowed service
//! address (10.77.0.1, in `SANDBOX_ALLOWED_NETWORKS`), a private one
//! (192.168.77.1), the host's own "public" address (198.51.100.7) and the
//! host's resolver (192.168.77.53, named by a `resolv.conf` bound over the
//! host's there). A TCP listener on every address logs the address each
//! connection reached. A real server (`suite-server`) runs there, cold and
//! pooled, as root at `full` and as nobody at `no-cgroups`, and runs a probe
//! that tries every destination. Containment is judged by effect: the
//! listener saw the allowed address only, and the resolver saw the
//! sandbox's query (through the runner's relay).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::tier::{Tier, require};

const SERVER: &str = env!("CARGO_BIN_EXE_suite-server");
const WORLD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/resources/network_world.py"
);
/// Debian's interpreter: readable by nobody, unlike a root-owned pyenv.
const SYSTEM_PYTHON: &str = "/usr/bin/python3";
const TCP_PORT: u16 = 8765;
const SERVER_PORT: u16 = 18080;
const ALLOWED: &str = "10.77.0.1";
const PRIVATE: &str = "192.168.77.1";
const HOST_ADDRESS: &str = "198.51.100.7";
const RESOLVER: &str = "192.168.77.53";

/// What the sandbox tries, by name: a TCP connection (the banner it read,
/// or the errno), a UDP datagram to the resolver directly, and names.
fn probe() -> String {
    format!(
        r#"import json, socket
out = {{}}
try:
    out["resolved"] = socket.gethostbyname("service.test")
except OSError as e:
    out["resolved"] = repr(e)
try:
    out["missing"] = socket.gethostbyname("missing.test")
except socket.gaierror:
    out["missing"] = "gaierror"
targets = {{
    "allowed": ("{ALLOWED}", {TCP_PORT}),
    "private": ("{PRIVATE}", {TCP_PORT}),
    "private_ten": ("10.99.0.1", {TCP_PORT}),
    "host_address": ("{HOST_ADDRESS}", {TCP_PORT}),
    "resolver_tcp": ("{RESOLVER}", {TCP_PORT}),
    "loopback": ("127.0.0.1", {TCP_PORT}),
    "any": ("0.0.0.0", {TCP_PORT}),
    "gateway": ("10.0.2.2", {TCP_PORT}),
    "helper_dns": ("10.0.2.3", {TCP_PORT}),
    "mapped_loopback": ("::ffff:127.0.0.1", {TCP_PORT}),
    "metadata": ("169.254.169.254", 80),
}}
for name, address in targets.items():
    try:
        with socket.create_connection(address, timeout=3) as s:
            out[name] = s.recv(100).decode().strip()
    except OSError as e:
        out[name] = e.errno
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07service\x04test\x00\x00\x01\x00\x01", ("{RESOLVER}", 53))
    udp.settimeout(2)
    out["resolver_udp"] = len(udp.recv(512))
except OSError as e:
    out["resolver_udp"] = e.errno
print(json.dumps(out))
"#
    )
}

/// Runs the probe `runs` times through a server in a namespace of its own
/// (see the module doc), as nobody at `no-cgroups` when `unprivileged`:
/// what `network_world.py` printed.
fn run_world(unprivileged: bool, pool_size: usize, runs: usize) -> Value {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test makes a network namespace (and drops to nobody): run it as root"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let server = dir.path().join("sandbox-server");
    std::fs::copy(SERVER, &server).expect("copy the server");
    let work = dir.path().join("work");
    std::fs::create_dir(&work).expect("work dir");
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let resolv = write(
        dir.path(),
        "resolv.conf",
        &format!("nameserver {RESOLVER}\n"),
    );
    let probe = write(dir.path(), "probe.py", &probe());
    let log = dir.path().join("server.log");
    let user = if unprivileged {
        "setpriv --reuid=65534 --regid=65534 --clear-groups --"
    } else {
        ""
    };
    let isolation = if unprivileged { "no-cgroups" } else { "full" };
    let script = format!(
        r#"set -eu
ip link set lo up
for address in {ALLOWED} {PRIVATE} {HOST_ADDRESS} {RESOLVER}; do
    ip address add "$address/32" dev lo
done
mount --bind {resolv} /etc/resolv.conf
{user} env -i PATH=/usr/bin:/bin TMPDIR={work} RUST_LOG=warn \
    SANDBOX_ALLOW_NETWORK=true SANDBOX_ALLOWED_NETWORKS={ALLOWED} SANDBOX_POLICY=none \
    SANDBOX_ISOLATION={isolation} SANDBOX_PYTHON={SYSTEM_PYTHON} SANDBOX_POOL_SIZE={pool_size} \
    {server} --host 127.0.0.1 --port {SERVER_PORT} >{log} 2>&1 &
server=$!
status=0
{SYSTEM_PYTHON} {WORLD} {TCP_PORT} {RESOLVER} {SERVER_PORT} {probe} {runs} || status=$?
kill -TERM "$server"
wait "$server" || true
exit "$status"
"#,
        resolv = resolv.display(),
        work = work.display(),
        server = server.display(),
        log = log.display(),
        probe = probe.display(),
    );
    let output = Command::new("unshare")
        .args([
            "--net",
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
        ])
        .arg(&script)
        .output()
        .expect("run unshare");
    let server_log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        output.status.success(),
        "the world failed: {}\n{}\nserver log:\n{server_log}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let world: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout}\nserver log:\n{server_log}"));
    // Nothing of the sandboxes outlives the server.
    assert_eq!(
        std::fs::read_dir(&work).expect("work dir").count(),
        0,
        "the work root is not empty"
    );
    world
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    path
}

/// Every run reached the allowed service and nothing else of the host.
fn assert_contained(world: &Value, runs: usize) {
    let results = world["results"].as_array().expect("results");
    assert_eq!(results.len(), runs, "{world}");
    for result in results {
        assert_eq!(result["status"], "ok", "{result}");
        let seen: Value = serde_json::from_str(result["stdout"].as_str().expect("stdout").trim())
            .unwrap_or_else(|e| panic!("{e}: {result}"));
        assert_eq!(seen["resolved"], ALLOWED, "DNS through the relay: {seen}");
        assert_eq!(seen["missing"], "gaierror", "{seen}");
        assert_eq!(seen["allowed"], format!("hello {ALLOWED}"), "{seen}");
        // Refused by route, at once: no route to host.
        for name in [
            "private",
            "private_ten",
            "host_address",
            "resolver_tcp",
            "helper_dns",
            "metadata",
            "resolver_udp",
        ] {
            assert_eq!(
                seen[name],
                nix::errno::Errno::EHOSTUNREACH as i32,
                "{name}: {seen}"
            );
        }
        // The sandbox's own loopback (nothing listens) or the helper's
        // refusal of the host's loopback.
        for name in ["loopback", "any", "mapped_loopback", "gateway"] {
            assert!(seen[name].is_i64(), "{name} was reached: {seen}");
        }
    }
    let reached: Vec<&str> = world["reached"]
        .as_array()
        .expect("reached")
        .iter()
        .map(|a| a.as_str().expect("address"))
        .collect();
    assert_eq!(reached, vec![ALLOWED; runs], "the listener saw: {world}");
    let queries = world["queries"].as_array().expect("queries");
    assert!(
        queries.iter().any(|q| q == "service.test"),
        "the resolver saw no query: {world}"
    );
}

#[test]
fn a_root_runner_s_networked_sandbox_reaches_out_but_never_the_host() {
    require!(Tier::Root);
    require!(Tier::NetworkHelper);
    let world = run_world(false, 0, 1);
    assert_contained(&world, 1);
}

#[test]
fn a_pooled_networked_sandbox_reaches_out_but_never_the_host() {
    require!(Tier::Root);
    require!(Tier::NetworkHelper);
    let world = run_world(false, 1, 2);
    assert_contained(&world, 2);
    assert!(
        world["pool_hits"].as_f64().unwrap_or(0.0) >= 1.0,
        "no run was pooled: {world}"
    );
}

#[test]
fn an_unprivileged_runner_s_networked_sandbox_reaches_out_but_never_the_host() {
    require!(Tier::Root);
    require!(Tier::NetworkHelper);
    let world = run_world(true, 0, 1);
    assert_contained(&world, 1);
    let world = run_world(true, 1, 2);
    assert_contained(&world, 2);
    assert!(
        world["pool_hits"].as_f64().unwrap_or(0.0) >= 1.0,
        "no run was pooled: {world}"
    );
}
