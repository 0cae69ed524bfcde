//! Host responsiveness while an attack runs.

use super::*;

/// Starts `true` on the host every 200 ms until stopped, noting how long each
/// took and what failed.
pub(super) struct Responsiveness {
    pub(super) stop: Arc<AtomicBool>,
    pub(super) thread: JoinHandle<(usize, Duration, Vec<String>)>,
}

impl Responsiveness {
    pub(super) fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (mut samples, mut worst, mut failures) = (0, Duration::ZERO, Vec::new());
            while !flag.load(Ordering::Relaxed) {
                let start = Instant::now();
                match Command::new("true").stdin(Stdio::null()).spawn() {
                    Err(e) => failures.push(format!("could not start `true`: {e}")),
                    Ok(mut child) => loop {
                        match child.try_wait() {
                            Ok(Some(_)) => break,
                            Ok(None) if start.elapsed() > Duration::from_secs(5) => {
                                failures.push("`true` did not finish within 5 s".into());
                                let _ = child.kill();
                                let _ = child.wait();
                                break;
                            }
                            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                            Err(e) => {
                                failures.push(format!("waiting for `true`: {e}"));
                                break;
                            }
                        }
                    },
                }
                samples += 1;
                worst = worst.max(start.elapsed());
                std::thread::sleep(Duration::from_millis(200));
            }
            (samples, worst, failures)
        });
        Self { stop, thread }
    }

    pub(super) fn finish(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        let (samples, worst, mut failures) = self.thread.join().expect("probe thread");
        if samples == 0 {
            failures.push("no host responsiveness sample was taken during the run".into());
        }
        if worst > Duration::from_secs(1) {
            failures.push(format!(
                "the host was slow: starting `true` took {worst:?} (limit 1 s)"
            ));
        }
        failures
    }
}
