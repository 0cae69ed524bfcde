//! The server part of `cargo xtask bench`: requests per second and p50/p99
//! latency of `print(1)` through a real `sandbox-server` on loopback at
//! concurrency 1, 8 and 32, beside local execution (`SandboxClient` in this
//! process) with the same parallelism in the same run; the server's RSS idle
//! and under load; and a count of lost requests (anything but a correct
//! 200).
//!
//! The load generator is a minimal HTTP/1.1 client on keep-alive
//! connections, one per concurrent worker, so its own cost stays small
//! and equal across levels.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sandbox_client::SandboxClient;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const LEVELS: [usize; 3] = [1, 8, 32];
const BODY: &str = r#"{"code": "print(1)"}"#;

/// Requests per level: enough for a stable p99 without a long run.
fn requests_at(concurrency: usize) -> usize {
    (concurrency * 10).max(80)
}

/// What one level measured.
struct Level {
    rps: f64,
    p50: Duration,
    p99: Duration,
    lost: usize,
}

/// Runs the server benchmark and prints its table.
/// `bare_start` and `bare_rate` are the bare interpreter's start time and
/// its spawn rate at 2-way parallelism, measured in the same run.
pub(crate) fn run(
    root: &Path,
    runtime: &tokio::runtime::Runtime,
    bare_start: Duration,
    bare_rate: f64,
) -> Result<()> {
    let program = root.join("target/release/sandbox-server");
    let max = LEVELS[LEVELS.len() - 1];
    let mut server = Server::start(&program, Some(max))?;
    let address = server.address.clone();
    println!(
        "\nsandbox-server on {address} (secure mode, --max-concurrency {max}): print(1), \
         {} to {} requests per level after 5 warm-up requests per worker",
        requests_at(LEVELS[0]),
        requests_at(max)
    );
    let idle_kb = server.rss_kb()?;

    let local = SandboxClient::new();
    let peak = Arc::new(AtomicU64::new(0));
    let mut rows = Vec::new();
    for concurrency in LEVELS {
        let total = requests_at(concurrency);
        // Sample the server's RSS while it is loaded.
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (sampling, peak, pid) = (sampling.clone(), peak.clone(), server.pid());
            std::thread::spawn(move || {
                while sampling.load(Ordering::Relaxed) {
                    if let Ok(kb) = rss_of(pid) {
                        peak.fetch_max(kb, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        let remote = runtime.block_on(load_server(&address, concurrency, total))?;
        sampling.store(false, Ordering::Relaxed);
        let _ = sampler.join();
        let here = runtime.block_on(load_local(&local, concurrency, total))?;
        rows.push((concurrency, remote, here));
    }
    let hwm_kb = server.hwm_kb().unwrap_or(0);
    server.stop();

    println!(
        "\n{:<12} {:>10} {:>9} {:>9} {:>6}   {:>10} {:>9} {:>9}   {:>8} {:>9} {:>11} {:>10}",
        "concurrency",
        "server rps",
        "p50 ms",
        "p99 ms",
        "lost",
        "local rps",
        "p50 ms",
        "p99 ms",
        "rps ratio",
        "Δp50 ms",
        "× bare rate",
        "p50 × bare"
    );
    for (concurrency, remote, here) in &rows {
        println!(
            "{:<12} {:>10.1} {:>9.2} {:>9.2} {:>6}   {:>10.1} {:>9.2} {:>9.2}   {:>8.2} {:>9.2} {:>11.2} {:>10.2}",
            concurrency,
            remote.rps,
            ms(remote.p50),
            ms(remote.p99),
            remote.lost,
            here.rps,
            ms(here.p50),
            ms(here.p99),
            remote.rps / here.rps,
            ms(remote.p50) - ms(here.p50),
            remote.rps / bare_rate,
            remote.p50.as_secs_f64() / bare_start.as_secs_f64(),
        );
    }
    println!(
        "\nserver RSS: idle {:.1} MiB, under load (sampled peak) {:.1} MiB, high-water mark {:.1} MiB",
        idle_kb as f64 / 1024.0,
        peak.load(Ordering::Relaxed) as f64 / 1024.0,
        hwm_kb as f64 / 1024.0
    );
    println!(
        "rps ratio: server / local at the same parallelism; Δp50: server p50 minus local p50 \
         (the server's overhead per request, HTTP and JSON included); × bare rate: server rps / \
         bare interpreter spawns per second at 2-way parallelism ({bare_rate:.1}/s); p50 × bare: \
         server p50 / bare interpreter start ({:.2} ms). The local client runs cold (no pool).",
        ms(bare_start)
    );
    let lost: usize = rows.iter().map(|(_, r, l)| r.lost + l.lost).sum();
    if lost > 0 {
        bail!("{lost} request(s) lost (not a correct 200 / result)");
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Throughput and latency from per-request times and the wall time.
fn summarize(mut times: Vec<Duration>, wall: Duration, lost: usize) -> Level {
    times.sort();
    let pick = |q: f64| {
        times
            .get(((times.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or_default()
    };
    Level {
        rps: times.len() as f64 / wall.as_secs_f64(),
        p50: pick(0.50),
        p99: pick(0.99),
        lost,
    }
}

/// `total` requests from `concurrency` workers, each on its own keep-alive
/// connection.
async fn load_server(address: &str, concurrency: usize, total: usize) -> Result<Level> {
    let next = Arc::new(AtomicU64::new(0));
    // Every worker warms its connection, then all start together.
    let gate = Arc::new(tokio::sync::Barrier::new(concurrency));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (address, next, gate) = (address.to_owned(), next.clone(), gate.clone());
        workers.push(tokio::spawn(async move {
            let mut connection = Connection::open(&address).await?;
            for _ in 0..5 {
                connection.execute().await?;
            }
            gate.wait().await;
            let started = Instant::now();
            let mut times = Vec::new();
            let mut lost = 0;
            while (next.fetch_add(1, Ordering::Relaxed) as usize) < total {
                let start = Instant::now();
                match connection.execute().await {
                    Ok(true) => times.push(start.elapsed()),
                    Ok(false) | Err(_) => {
                        lost += 1;
                        connection = Connection::open(&address).await?;
                    }
                }
            }
            anyhow::Ok((times, lost, started, Instant::now()))
        }));
    }
    let (mut times, mut lost) = (Vec::new(), 0);
    let (mut first, mut last): (Option<Instant>, Option<Instant>) = (None, None);
    for worker in workers {
        let (t, l, started, ended) = worker.await??;
        times.extend(t);
        lost += l;
        first = Some(first.map_or(started, |f| f.min(started)));
        last = Some(last.map_or(ended, |e| e.max(ended)));
    }
    let wall = match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => Duration::from_millis(1),
    };
    Ok(summarize(times, wall, lost))
}

/// `total` local executions from `concurrency` tasks sharing one client.
async fn load_local(client: &SandboxClient, concurrency: usize, total: usize) -> Result<Level> {
    for _ in 0..5 {
        client.execute("print(1)").await?;
    }
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, next) = (client.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut lost = 0;
            while (next.fetch_add(1, Ordering::Relaxed) as usize) < total {
                let start = Instant::now();
                match client.execute("print(1)").await {
                    Ok(r) if r.success && r.stdout == "1\n" => times.push(start.elapsed()),
                    _ => lost += 1,
                }
            }
            (times, lost)
        }));
    }
    let (mut times, mut lost) = (Vec::new(), 0);
    for worker in workers {
        let (t, l) = worker.await?;
        times.extend(t);
        lost += l;
    }
    Ok(summarize(times, started.elapsed(), lost))
}

/// One keep-alive HTTP/1.1 connection to the server.
pub(crate) struct Connection {
    stream: TcpStream,
    request: Vec<u8>,
    buffer: Vec<u8>,
}

impl Connection {
    pub(crate) async fn open(address: &str) -> Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let request = format!(
            "POST /execute HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{BODY}",
            BODY.len()
        )
        .into_bytes();
        Ok(Self {
            stream,
            request,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends one request; `Ok(true)` for a 200 whose result printed `1`.
    async fn execute(&mut self) -> Result<bool> {
        Ok(matches!(self.answer().await, Answer::Ok))
    }

    /// Sends one request and says what came back.
    pub(crate) async fn answer(&mut self) -> Answer {
        match self.exchange().await {
            Ok((_, true)) => Answer::Ok,
            Ok((head, _)) => Answer::Status(
                head.lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("http/1.1 ")
                    .to_owned(),
            ),
            Err(err) => Answer::Failed(err.to_string()),
        }
    }

    /// One request and its response: the lower-cased head, and whether it
    /// is a 200 whose result printed `1`.
    async fn exchange(&mut self) -> Result<(String, bool)> {
        self.stream.write_all(&self.request).await?;
        self.buffer.clear();
        let header_end = loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                break end + 4;
            }
            self.read_more().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..header_end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .context("a response without content-length")?;
        while self.buffer.len() < header_end + length {
            self.read_more().await?;
        }
        let body = &self.buffer[header_end..header_end + length];
        let ok = head.starts_with("http/1.1 200")
            && find(body, br#""success":true"#).is_some()
            && find(body, br#""stdout":"1\n""#).is_some();
        Ok((head, ok))
    }

    async fn read_more(&mut self) -> Result<()> {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// What one request got.
pub(crate) enum Answer {
    /// A 200 whose result printed `1`.
    Ok,
    /// Any other response: its status line (lower case).
    Status(String),
    /// No response: why.
    Failed(String),
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The release server process.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: String,
}

impl Server {
    /// Starts `program` on a free loopback port; with its default
    /// concurrency when `max_concurrency` is `None`.
    pub(crate) fn start(program: &Path, max_concurrency: Option<usize>) -> Result<Self> {
        use std::io::BufRead as _;
        let mut command = Command::new(program);
        command.args(["--host", "127.0.0.1", "--port", "0"]);
        if let Some(max) = max_concurrency {
            command.args(["--max-concurrency", &max.to_string()]);
        }
        let mut child = command
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stderr = child.stderr.take().context("stderr")?;
        let mut lines = std::io::BufReader::new(stderr).lines();
        let address = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                bail!("sandbox-server exited before listening");
            };
            let line = line?;
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap_or("").to_owned();
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Self { child, address })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    fn rss_kb(&self) -> Result<u64> {
        rss_of(self.pid())
    }

    fn hwm_kb(&self) -> Result<u64> {
        status_kb(self.pid(), "VmHWM:")
    }

    /// SIGTERM, then wait (the server drains and exits 0); how it ended.
    pub(crate) fn stop(&mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        "still running 10 s after SIGTERM; killed".to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub(crate) fn rss_of(pid: u32) -> Result<u64> {
    status_kb(pid, "VmRSS:")
}

fn status_kb(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} for pid {pid}"))
}
