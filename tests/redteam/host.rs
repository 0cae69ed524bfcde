//! Facts about the host, gathered once.

use super::*;

#[derive(Debug)]
pub(super) struct Host {
    /// The interpreter's prefixes, as given and resolved.
    pub(super) interpreter_paths: Vec<String>,
    /// The interpreter binary, resolved.
    pub(super) interpreter: PathBuf,
    /// The interpreter's standard library directory, resolved.
    pub(super) stdlib: PathBuf,
    /// This process's variable names, minus the sandbox's own.
    pub(super) env_names: Vec<String>,
    /// A variable this process has and the sandbox must not.
    pub(super) secret_env: String,
    /// Namespace kind to this process's namespace link.
    pub(super) namespaces: BTreeMap<String, String>,
    pub(super) hostname: String,
    pub(super) comm: String,
    /// This test binary.
    pub(super) exe: PathBuf,
    /// The host's first IPv4 address outside loopback.
    pub(super) address: std::net::Ipv4Addr,
}

pub(super) static HOST: OnceCell<Host> = OnceCell::const_new();

/// A host file's text, trimmed (for placeholders; empty when unreadable).
pub(super) fn host_file(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

pub(super) async fn host() -> &'static Host {
    HOST.get_or_init(probe_host).await
}

pub(super) async fn probe_host() -> Host {
    // The interpreter the runner resolves, asked in simple mode (trusted
    // code of our own).
    let code = r#"
import json, os, sys
paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
paths |= {os.path.realpath(p) for p in paths}
print(json.dumps({
    "paths": sorted(paths),
    "executable": os.path.realpath(sys.executable),
    "stdlib": os.path.realpath(os.path.dirname(os.__file__)),
}))
"#;
    let result = SandboxClient::from_config(ClientConfig {
        mode: ExecutionMode::Simple,
        ..crate::support::config()
    })
    .expect("valid config")
    .execute_request(ExecutionRequest::new(code).with_mode(ExecutionMode::Simple))
    .await
    .expect("probe the interpreter");
    assert_eq!(result.status, Status::Ok, "interpreter probe: {result:?}");
    let facts: serde_json::Value = serde_json::from_str(result.stdout.trim()).expect("probe JSON");
    let interpreter_paths = facts["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| p.as_str().expect("path").to_owned())
        .collect();
    let path_of = |key: &str| PathBuf::from(facts[key].as_str().expect(key));

    let env_names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.is_empty()
                && !sandbox_sets(name)
        })
        .collect();
    let secret_env = ["CARGO_MANIFEST_DIR", "CARGO", "CARGO_PKG_NAME", "USER"]
        .into_iter()
        .find(|n| std::env::var_os(n).is_some())
        .unwrap_or("CARGO_MANIFEST_DIR")
        .to_owned();
    let namespaces = ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"]
        .into_iter()
        .map(|kind| {
            let link = std::fs::read_link(format!("/proc/self/ns/{kind}"))
                .unwrap_or_else(|e| panic!("read /proc/self/ns/{kind}: {e}"));
            (kind.to_owned(), link.to_string_lossy().into_owned())
        })
        .collect();
    Host {
        interpreter_paths,
        interpreter: path_of("executable"),
        stdlib: path_of("stdlib"),
        env_names,
        secret_env,
        namespaces,
        hostname: host_name(),
        exe: std::env::current_exe().expect("test binary"),
        comm: std::fs::read_to_string("/proc/self/comm")
            .expect("comm")
            .trim()
            .to_owned(),
        address: nix::ifaddrs::getifaddrs()
            .expect("the host's addresses")
            .filter_map(|interface| {
                interface
                    .address?
                    .as_sockaddr_in()
                    .map(nix::sys::socket::SockaddrIn::ip)
            })
            .find(|ip| !ip.is_loopback())
            .expect("the red team needs an IPv4 address outside loopback on the host"),
    }
}

pub(super) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("host name")
        .trim()
        .to_owned()
}
