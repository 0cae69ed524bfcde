//! Whether runs can be set up here, learnt by doing one.
//!
//! Probing the kernel's features one by one is not enough: a container
//! started under a default seccomp profile, or with masked `/proc` paths,
//! offers every namespace yet fails at `sethostname` or the `/proc` mount
//! of each real run. So the server runs a real sandbox (`print`) at
//! start-up, again whenever a run fails to set up, and every few seconds
//! while failing. Until a probe succeeds, `/readyz` answers 503 and `GET /`
//! says why.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sandbox_client::{ExecutionRequest, SandboxClient, Status};
use tokio::sync::Notify;

/// How long to wait between probes while they fail.
const RETRY: Duration = Duration::from_secs(10);

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Probing,
    Ready,
    Failing(String),
}

/// The latest verdict, shared by the probe loop and the handlers.
#[derive(Debug)]
pub struct Readiness {
    verdict: Mutex<Verdict>,
    recheck: Notify,
    started: std::sync::atomic::AtomicBool,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            verdict: Mutex::new(Verdict::Probing),
            recheck: Notify::new(),
            started: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Readiness {
    fn set(&self, verdict: Verdict) {
        *self
            .verdict
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = verdict;
    }

    fn get(&self) -> Verdict {
        self.verdict
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Why runs cannot be set up now; `None` when the last probe worked.
    pub fn problem(&self) -> Option<String> {
        match self.get() {
            Verdict::Ready => None,
            Verdict::Probing => Some("checking that a sandbox can be set up".into()),
            Verdict::Failing(reason) => Some(reason),
        }
    }

    /// A run failed to set up its sandbox: not ready until a probe works.
    pub fn setup_failed(&self, message: &str) {
        if self.get() == Verdict::Ready {
            self.set(Verdict::Failing(message.to_owned()));
        }
        self.recheck.notify_one();
    }
}

/// Longest wait for the first verdict before serving anyway (still
/// "probing" then).
const FIRST_PROBE: Duration = Duration::from_secs(5);

/// Probes now, then whenever a run fails to set up, and every `RETRY`
/// while probes fail, until the process ends. Returns once the first probe
/// is done (or `FIRST_PROBE` has passed), so the first answers a server
/// gives already say whether it can run code.
/// Starting it again does nothing.
pub async fn start(readiness: Arc<Readiness>, client: SandboxClient) {
    if readiness
        .started
        .swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        return;
    }
    let first = Notify::new();
    let first = std::sync::Arc::new(first);
    let told = std::sync::Arc::clone(&first);
    tokio::spawn(async move {
        let mut last: Option<Verdict> = None;
        loop {
            let verdict = match probe(&client).await {
                Ok(()) => Verdict::Ready,
                Err(reason) => Verdict::Failing(reason),
            };
            if last.as_ref() != Some(&verdict) {
                match &verdict {
                    Verdict::Failing(reason) => tracing::error!(
                        %reason,
                        "a sandbox cannot be set up here: /readyz answers 503 (see `sandbox doctor`)"
                    ),
                    _ => tracing::info!("a sandbox was set up and ran: ready"),
                }
            }
            readiness.set(verdict.clone());
            told.notify_one();
            let ready = verdict == Verdict::Ready;
            last = Some(verdict);
            if ready {
                readiness.recheck.notified().await;
            } else {
                tokio::select! {
                    () = readiness.recheck.notified() => {}
                    () = tokio::time::sleep(RETRY) => {}
                }
            }
        }
    });
    let _ = tokio::time::timeout(FIRST_PROBE, first.notified()).await;
}

/// Runs `print` in a sandbox of the server's default mode and isolation.
async fn probe(client: &SandboxClient) -> Result<(), String> {
    let request = ExecutionRequest::new("print('ready')").with_timeout(Duration::from_secs(20));
    match client.execute_request(request).await {
        Ok(result) if result.status == Status::Ok && result.stdout == "ready\n" => Ok(()),
        Ok(result) => Err(result
            .message
            .unwrap_or_else(|| format!("the probe run ended with status `{}`", result.status))),
        Err(err) => Err(err.to_string()),
    }
}
