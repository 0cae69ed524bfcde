//! Turning what was observed about a finished process into the contract's
//! status, return code and one-line message.

use sandbox_core::{Limits, Status};

use crate::sys::Exit;

/// What the supervisor saw.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Observed<'a> {
    pub(crate) exit: Exit,
    pub(crate) timed_out: bool,
    pub(crate) output_limited: bool,
    /// The stream was cut because the result reached its cap (as JSON),
    /// not because the stream reached its own.
    pub(crate) result_limited: bool,
    /// The cgroup's OOM killer acted.
    pub(crate) oom_killed: bool,
    pub(crate) stderr: &'a [u8],
    pub(crate) limits: &'a Limits,
}

/// The verdict: status, return code and (for anything but ok/error) why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) status: Status,
    pub(crate) return_code: i32,
    pub(crate) message: Option<String>,
}

impl Verdict {
    /// The result of a run that ran, as both modes fill it in: status,
    /// return code, the captured streams (lossy UTF-8) and how long it took.
    /// Usage, files and notes are the caller's.
    pub(crate) fn into_result(
        self,
        mode: sandbox_core::ExecutionMode,
        stdout: &crate::capture::Captured,
        stderr: &crate::capture::Captured,
        duration: std::time::Duration,
    ) -> sandbox_core::ExecutionResult {
        let mut result = sandbox_core::ExecutionResult::new(self.status, mode);
        result.return_code = Some(self.return_code);
        result.stdout = String::from_utf8_lossy(&stdout.bytes).into_owned();
        result.stderr = String::from_utf8_lossy(&stderr.bytes).into_owned();
        result.stdout_truncated = stdout.truncated;
        result.stderr_truncated = stderr.truncated;
        result.duration_ms = crate::millis(duration);
        result.message = self.message;
        result
    }
}

/// Decides the status. Limits the supervisor enforced itself come first
/// (it knows it killed the program), then what the exit says.
pub(crate) fn classify(seen: Observed<'_>) -> Verdict {
    let return_code = match seen.exit {
        Exit::Code(code) => code,
        Exit::Signal(signal) => -signal,
    };
    let verdict = |status, message: Option<String>| Verdict {
        status,
        return_code,
        message,
    };
    let limits = seen.limits;
    if seen.timed_out {
        return verdict(
            Status::Timeout,
            Some(format!(
                "execution timed out after {} s and was killed",
                secs(limits.timeout.as_secs_f64())
            )),
        );
    }
    if seen.output_limited && seen.result_limited {
        return verdict(
            Status::OutputLimit,
            Some(format!(
                "the program's output reached the result's cap of {} bytes as JSON \
                 (output such as NUL bytes escapes to up to six bytes a byte) and was \
                 stopped; raise max_result_bytes (SANDBOX_MAX_RESULT_BYTES) for more",
                limits.max_result_bytes
            )),
        );
    }
    if seen.output_limited {
        return verdict(
            Status::OutputLimit,
            Some(format!(
                "the program wrote more than {} bytes to an output stream and was stopped",
                limits.max_output_bytes
            )),
        );
    }
    if seen.oom_killed {
        return verdict(
            Status::MemoryLimit,
            Some(format!(
                "memory limit of {} MiB reached; the kernel stopped the program",
                limits.memory_mb
            )),
        );
    }
    match seen.exit {
        Exit::Code(0) => verdict(Status::Ok, None),
        Exit::Code(_) if ran_out_of_memory(seen.stderr) => verdict(
            Status::MemoryLimit,
            Some(format!("memory limit of {} MiB reached", limits.memory_mb)),
        ),
        Exit::Code(_) => verdict(Status::Error, None),
        Exit::Signal(libc::SIGXCPU) => verdict(
            Status::Timeout,
            Some(format!(
                "CPU time limit of {} s reached",
                limits.cpu_seconds()
            )),
        ),
        Exit::Signal(signal) => verdict(
            Status::Killed,
            Some(format!(
                "the program was killed by signal {}",
                signal_name(signal)
            )),
        ),
    }
}

/// Whether the program died of memory exhaustion: its final exception is a
/// `MemoryError` (numpy's `_ArrayMemoryError` included) or the interpreter
/// reported a failed allocation.
fn ran_out_of_memory(stderr: &[u8]) -> bool {
    let tail = &stderr[stderr.len().saturating_sub(4096)..];
    let tail = String::from_utf8_lossy(tail);
    tail.lines().rev().take(5).any(|line| {
        let exception = line.split(':').next().unwrap_or("").trim();
        (exception.ends_with("MemoryError") && !exception.contains(' '))
            || line.contains("Cannot allocate memory")
            || line.contains("std::bad_alloc")
            || (line.starts_with("Fatal Python error") && line.contains("memory"))
    })
}

/// Seconds as people write them: `1`, `1.5`.
pub(crate) fn secs(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn signal_name(signal: i32) -> String {
    match nix::sys::signal::Signal::try_from(signal) {
        Ok(sig) => format!("{} ({signal})", sig.as_str()),
        Err(_) => signal.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sandbox_core::{ClientConfig, ExecutionRequest};

    use super::*;

    fn judge(exit: Exit, stderr: &str, timed_out: bool, output_limited: bool) -> Verdict {
        let request = ExecutionRequest::new("").with_timeout(Duration::from_millis(1500));
        let limits = Limits::resolve(&request, &ClientConfig::default()).unwrap();
        classify(Observed {
            exit,
            timed_out,
            output_limited,
            result_limited: false,
            oom_killed: false,
            stderr: stderr.as_bytes(),
            limits: &limits,
        })
    }

    #[test]
    fn statuses() {
        assert_eq!(judge(Exit::Code(0), "", false, false).status, Status::Ok);
        assert_eq!(judge(Exit::Code(3), "", false, false).status, Status::Error);
        let timeout = judge(Exit::Signal(9), "", true, false);
        assert_eq!(timeout.status, Status::Timeout);
        assert_eq!(timeout.return_code, -9);
        assert_eq!(
            timeout.message.as_deref(),
            Some("execution timed out after 1.5 s and was killed")
        );
        assert_eq!(
            judge(Exit::Signal(9), "", false, true).status,
            Status::OutputLimit
        );
        assert_eq!(
            judge(Exit::Signal(libc::SIGXCPU), "", false, false).status,
            Status::Timeout
        );
        let killed = judge(Exit::Signal(11), "", false, false);
        assert_eq!(killed.status, Status::Killed);
        assert_eq!(
            killed.message.as_deref(),
            Some("the program was killed by signal SIGSEGV (11)")
        );
    }

    #[test]
    fn memory_errors() {
        let tb = "Traceback (most recent call last):\n  File \"main.py\", line 1, in <module>\nMemoryError\n";
        assert_eq!(
            judge(Exit::Code(1), tb, false, false).status,
            Status::MemoryLimit
        );
        let numpy = "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 8.00 GiB\n";
        assert_eq!(
            judge(Exit::Code(1), numpy, false, false).status,
            Status::MemoryLimit
        );
        let other = "ValueError: MemoryError is not what happened here\n";
        assert_eq!(
            judge(Exit::Code(1), other, false, false).status,
            Status::Error
        );
    }
}
