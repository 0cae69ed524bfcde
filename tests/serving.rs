//! A real `sandbox-server` process on a loopback port, for the server and
//! remote tests: started with the suite's build of the program
//! (`CARGO_BIN_EXE_suite-server`), its log collected, its work dirs under a
//! private temp dir, and its process tree inspectable.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

/// The program under test.
const PROGRAM: &str = env!("CARGO_BIN_EXE_suite-server");

/// A running server; killed on drop if still alive.
pub struct TestServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
    /// Where its executions' work dirs go (its `TMPDIR`).
    pub work_root: TempDir,
}

impl TestServer {
    /// Starts a server with `args` and the environment `env` (every other
    /// `SANDBOX_*` variable removed), on a free port, and waits until it
    /// listens. Its sandbox pool is off unless `args` or `env` size it: most
    /// tests look for nothing left in the work root while it runs, where a
    /// pool keeps its prepared sandboxes (`pool.rs` tests the pool).
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_in(tempfile::tempdir().expect("work root"), args, env)
    }

    /// [`TestServer::start`] with `work_root` as its work dirs' parent (a
    /// restarted server can be given its predecessor's).
    pub fn start_in(work_root: TempDir, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(PROGRAM);
        for (name, _) in std::env::vars() {
            if name.starts_with("SANDBOX_") {
                command.env_remove(name);
            }
        }
        let pooled = args.contains(&"--pool-size")
            || env
                .iter()
                .any(|(name, _)| *name == sandbox_client::vars::POOL_SIZE);
        if !pooled {
            command.args(["--pool-size", "0"]);
        }
        command
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .env("TMPDIR", work_root.path())
            .env(
                sandbox_client::vars::ISOLATION,
                crate::tier::isolation().to_string(),
            )
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start sandbox-server");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(url);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "sandbox-server did not start listening:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Self {
            child,
            url,
            log,
            work_root,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// `url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Sends `signal` to the server.
    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.pid()), signal).expect("signal the server");
    }

    /// Waits up to `limit` for the server to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Every live process below the server (sandboxes and interpreters).
    pub fn descendants(&self) -> Vec<i32> {
        descendants(self.pid())
    }

    /// Waits up to `limit` until a sandboxed program runs below the server:
    /// a descendant in a pid namespace of its own that is not its init
    /// (pid 1), so interpreter discovery does not count.
    pub fn wait_sandboxed_program(&self, limit: Duration) -> bool {
        wait_until(limit, || {
            self.descendants().iter().any(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|status| {
                    status.lines().any(|l| {
                        l.strip_prefix("NSpid:")
                            .and_then(|ids| ids.split_whitespace().nth(1))
                            .is_some_and(|inner| inner != "1")
                    })
                })
            })
        })
    }

    /// Entries left in the work root.
    pub fn leftovers(&self) -> Vec<String> {
        crate::support::leftovers(self.work_root.path())
    }

    /// Kills the server outright (SIGKILL) and hands back its work root.
    pub fn kill_hard(mut self) -> TempDir {
        self.signal(Signal::SIGKILL);
        let _ = self.child.wait();
        let root = tempfile::tempdir().expect("placeholder");
        std::mem::replace(&mut self.work_root, root)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `condition` every 20 ms for up to `limit`.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Live (non-zombie) processes whose ancestry includes `root`.
pub fn descendants(root: i32) -> Vec<i32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the parenthesised command name: state, ppid.
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map_or(vec![], |(_, rest)| rest.split(' ').collect());
        if fields.len() > 1
            && !matches!(fields[0], "Z" | "X")
            && let Ok(ppid) = fields[1].parse::<i32>()
        {
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, ppid)| *ppid == parent)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// An HTTP client for tests (no proxy, generous timeout).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// The JSON body of `GET url`.
pub async fn get_json(url: &str) -> serde_json::Value {
    http()
        .get(url)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("a JSON body")
}

/// Posts a JSON body to `/execute` with `key` as a bearer token.
pub async fn execute(
    server: &TestServer,
    body: &serde_json::Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = http()
        .post(server.at("/execute"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.expect("POST /execute")
}

/// The value of the sample of `name` with exactly `labels` (e.g.
/// `{status="ok"}`, or empty) in Prometheus text, 0 when absent.
pub fn metric(text: &str, name: &str, labels: &str) -> f64 {
    let prefix = format!("{name}{labels} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0.0, |v| v.trim().parse().expect("a number"))
}

/// `/metrics` of `server`.
pub async fn metrics(server: &TestServer) -> String {
    http()
        .get(server.at("/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text")
}

/// Base64 of `bytes`, as the contract carries files.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Bytes of a base64 string.
pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

/// A path under the workspace's `target/` for test artifacts.
pub fn artifact(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifact dir");
    dir.join(name)
}

/// Posts `body` (JSON) to `path` on a raw connection with `headers` (each a
/// full `Name: value`), and reads the answer until it contains `needle`:
/// the open connection, for a test that then drops it mid-answer.
pub fn post_raw_until(
    server: &TestServer,
    path: &str,
    headers: &[&str],
    body: &str,
    needle: &str,
) -> (std::net::TcpStream, String) {
    use std::io::{Read as _, Write as _};

    let address = server.url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    write!(stream, "{head}\r\n{body}").unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = stream.read(&mut buffer).expect("the answer");
        assert!(
            n > 0,
            "the answer ended: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buffer[..n]);
    }
    (stream, String::from_utf8_lossy(&seen).into_owned())
}
