//! `cargo xtask bench load`: a soak of the real release server with its
//! default settings. `REQUESTS` (default 10,000) `print(1)` executions from
//! `CONCURRENCY` (default 64) keep-alive connections; every answer is
//! counted by kind, then the server must stop cleanly on SIGTERM and leave
//! nothing behind (no sandbox process, run directory or cgroup; while it
//! runs, its pool's prepared sandboxes are its own). Fails unless every request got a correct result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::bench_server::{Answer, Connection, Server, rss_of};

/// Runs the soak: `cargo xtask bench load [REQUESTS] [CONCURRENCY]`.
pub(crate) fn run(root: &Path, runtime: &tokio::runtime::Runtime) -> Result<()> {
    let number = |at: usize, default: usize| -> Result<usize> {
        match std::env::args().nth(at) {
            None => Ok(default),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
                _ => bail!(
                    "`{text}` is not a count from 1 to 1000000 (usage: cargo xtask bench load [REQUESTS] [CONCURRENCY])"
                ),
            },
        }
    };
    let (total, concurrency) = (number(3, 10_000)?, number(4, 64)?);
    let mut server = Server::start(&root.join("target/release/sandbox-server"), None)?;
    let pid = server.pid();
    println!(
        "sandbox-server on {} with its default settings (secure mode, pid {pid}): \
         {total} print(1) requests from {concurrency} keep-alive connections",
        server.address
    );
    let idle_kb = rss_of(pid)?;
    let peak = Arc::new(AtomicU64::new(idle_kb));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (sampling, peak) = (sampling.clone(), peak.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                if let Ok(kb) = rss_of(pid) {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let started = Instant::now();
    let (answers, mut times) = runtime.block_on(soak(&server.address, concurrency, total))?;
    let wall = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    times.sort();
    let pick = |q: f64| {
        let at = ((times.len() as f64 * q).ceil() as usize).saturating_sub(1);
        times.get(at).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let answered: usize = answers.values().sum();
    println!(
        "{answered} of {total} answered in {:.1} s ({:.1} req/s); latency p50 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms",
        wall.as_secs_f64(),
        answered as f64 / wall.as_secs_f64(),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    for (kind, count) in &answers {
        println!("  {count:>7}  {kind}");
    }
    println!(
        "server RSS: idle {:.1} MiB, peak under load {:.1} MiB",
        idle_kb as f64 / 1024.0,
        peak.load(Ordering::Relaxed) as f64 / 1024.0
    );

    // Give the last runs' clean-up a moment, then look for leftovers.
    std::thread::sleep(Duration::from_millis(500));
    let prefix = format!("sandbox-{pid}-");
    let processes = descendants(pid);
    let dirs = named_under(&std::env::temp_dir(), &prefix, 1);
    let cgroups = named_under(Path::new("/sys/fs/cgroup"), &prefix, 6);
    // While it runs, the server's pool keeps sandboxes prepared (each with
    // its init, its interpreter and its cgroups) and a fork server in a
    // base sandbox (a run dir); they are its own, not leftovers. What it
    // leaves once stopped is checked below.
    println!(
        "while the server runs, its pool's prepared sandboxes and fork server: {} process(es), \
         {} run dir(s), {} cgroup(s)",
        processes.len(),
        dirs.len(),
        cgroups.len()
    );
    let exit = server.stop();
    println!("SIGTERM: {exit}");
    let after = named_under(Path::new("/sys/fs/cgroup"), &prefix, 6).len()
        + named_under(&std::env::temp_dir(), &prefix, 1).len();
    let survivors: Vec<u32> = processes
        .iter()
        .copied()
        .filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists())
        .collect();
    println!(
        "left behind after it stopped: {after} run dir(s) and cgroup(s), {} of its sandbox processes",
        survivors.len()
    );

    let good = answers.get("200 ok, printed 1").copied().unwrap_or(0);
    if good != total {
        bail!(
            "{} of {total} requests did not get a correct result",
            total - good
        );
    }
    if after > 0 || !survivors.is_empty() {
        bail!(
            "left behind after stopping: {after} run dir(s) and cgroup(s), processes {survivors:?}"
        );
    }
    if exit != "exit status: 0" {
        bail!("the server did not stop cleanly: {exit}");
    }
    Ok(())
}

/// Every answer by kind, and the latency of each request answered.
async fn soak(
    address: &str,
    concurrency: usize,
    total: usize,
) -> Result<(BTreeMap<String, usize>, Vec<Duration>)> {
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (address, next) = (address.to_owned(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut answers = BTreeMap::<String, usize>::new();
            let mut times = Vec::new();
            let mut connection = None;
            while (next.fetch_add(1, Ordering::Relaxed) as usize) < total {
                let start = Instant::now();
                let answer = match &mut connection {
                    Some(open) => Connection::answer(open).await,
                    None => match Connection::open(&address).await {
                        Ok(mut open) => {
                            let answer = open.answer().await;
                            connection = Some(open);
                            answer
                        }
                        Err(err) => Answer::Failed(format!("connect: {err}")),
                    },
                };
                times.push(start.elapsed());
                let kind = match answer {
                    Answer::Ok => "200 ok, printed 1".to_owned(),
                    Answer::Status(head) => head,
                    Answer::Failed(why) => {
                        connection = None;
                        format!("no answer: {why}")
                    }
                };
                *answers.entry(kind).or_default() += 1;
            }
            (answers, times)
        }));
    }
    let mut answers = BTreeMap::new();
    let mut times = Vec::new();
    for worker in workers {
        let (a, t) = worker.await?;
        for (kind, count) in a {
            *answers.entry(kind).or_default() += count;
        }
        times.extend(t);
    }
    Ok((answers, times))
}

/// Processes whose parent chain reaches `ancestor`.
fn descendants(ancestor: u32) -> Vec<u32> {
    let parent = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            let mut at = pid;
            for _ in 0..64 {
                match parent(at) {
                    Some(p) if p == ancestor => return true,
                    Some(p) if p > 1 => at = p,
                    _ => return false,
                }
            }
            false
        })
        .collect()
}

/// Directories named `prefix…` under `dir`, down to `depth` levels.
fn named_under(dir: &Path, prefix: &str, depth: usize) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            found.push(path);
        } else if depth > 1 {
            found.extend(named_under(&path, prefix, depth - 1));
        }
    }
    found
}
