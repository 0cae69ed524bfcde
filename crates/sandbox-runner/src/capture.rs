//! Reading a child's output stream with a byte cap, so a runaway writer
//! costs the runner at most `cap` bytes of memory, and charging what it
//! keeps to the result cap as JSON-escaped text.

use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;
use tokio::sync::watch;

use sandbox_core::encoded::LossyMeter;

use crate::budget::ResultBudget;

/// The bytes read from one stream.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    pub(crate) bytes: Vec<u8>,
    /// More than `cap` bytes were written, or more than the result had
    /// room for; `bytes` holds what fitted.
    pub(crate) truncated: bool,
}

const CHUNK: usize = 64 * 1024;

/// Reads `pipe` until end of file, the cap, the end of `budget`, or `stop`.
///
/// What it keeps is charged to `budget` as the lossy text's JSON size (a
/// NUL byte is six bytes), so escaping cannot make the result outgrow its
/// cap. Past either cap it keeps what fits (whole characters), calls
/// `on_overflow` once (the runner stops the program there) and returns; it
/// never buffers more than `cap` bytes. `stop` ends
/// the read early: it is raised a short grace after the program exits, in
/// case a process that escaped the kill still holds the pipe open, and it
/// closes when the execution is abandoned.
pub(crate) async fn capture(
    mut pipe: pipe::Receiver,
    cap: usize,
    budget: ResultBudget,
    mut stop: watch::Receiver<bool>,
    on_overflow: impl FnOnce(),
) -> Captured {
    let mut out = Captured::default();
    let mut chunk = vec![0u8; CHUNK];
    let mut meter = LossyMeter::default();
    // Bytes of the budget this stream holds: the cost of `out.bytes`.
    let mut charged = 0u64;
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        tokio::select! {
            read = pipe.read(&mut chunk) => match read {
                Ok(0) => break,
                Ok(n) => {
                    let room = cap - out.bytes.len();
                    out.bytes.extend_from_slice(&chunk[..n.min(room)]);
                    let before = meter;
                    let cost = meter.cost(&out.bytes) as u64;
                    if cost <= charged {
                        // A character completed for less than was held.
                        budget.give_back(charged - cost);
                    } else if !budget.take(cost - charged) {
                        let allowed = charged + budget.take_up_to(cost - charged);
                        meter = before;
                        let (len, used) = meter.cut(&out.bytes, usize::try_from(allowed).unwrap_or(usize::MAX));
                        out.bytes.truncate(len);
                        budget.give_back(allowed.saturating_sub(used as u64));
                        budget.mark_stream_cut();
                        out.truncated = true;
                        on_overflow();
                        break;
                    }
                    charged = cost;
                    if n > room {
                        out.truncated = true;
                        on_overflow();
                        break;
                    }
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => {
                    tracing::warn!(%err, "reading the program's output failed");
                    break;
                }
            },
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;
    use sandbox_core::encoded::{RESULT_RESERVE, lossy_json_len};

    /// Captures what `write` sends through a pipe, with `cap` and a result
    /// budget of `room` bytes past the reserve.
    async fn through_pipe(data: Vec<u8>, cap: usize, room: u64) -> (Captured, ResultBudget, bool) {
        let (mut tx, rx) = pipe::pipe().unwrap();
        let budget = ResultBudget::new(RESULT_RESERVE + room);
        let (_stop_tx, stop_rx) = watch::channel(false);
        let writer = tokio::spawn(async move {
            // Small writes, so characters straddle reads.
            for piece in data.chunks(7) {
                if tx.write_all(piece).await.is_err() {
                    break;
                }
            }
        });
        let overflowed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = overflowed.clone();
        let got = capture(rx, cap, budget.clone(), stop_rx, move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        })
        .await;
        writer.abort();
        let overflowed = overflowed.load(std::sync::atomic::Ordering::SeqCst);
        (got, budget, overflowed)
    }

    #[tokio::test]
    async fn nul_bytes_are_charged_six_each_and_cut_at_the_budget() {
        let (got, budget, overflowed) = through_pipe(vec![0; 1000], 1 << 20, 600).await;
        assert!(got.truncated && overflowed && budget.stream_cut());
        assert_eq!(got.bytes.len(), 100);
        assert_eq!(lossy_json_len(&got.bytes) - 2, 600);
        assert_eq!(budget.left(), 0);
    }

    #[tokio::test]
    async fn what_fits_is_charged_exactly() {
        let mut data = "naïve \"text\"\n\t€😀".repeat(20).into_bytes();
        data.extend_from_slice(&[0xff, 0xe2, 0x82]); // invalid, then cut short
        let (got, budget, overflowed) = through_pipe(data.clone(), 1 << 20, 10_000).await;
        assert!(!got.truncated && !overflowed && !budget.stream_cut());
        assert_eq!(got.bytes, data);
        assert_eq!(budget.left(), 10_000 - (lossy_json_len(&data) as u64 - 2));
    }

    #[tokio::test]
    async fn the_stream_cap_still_counts_raw_bytes() {
        let (got, budget, overflowed) = through_pipe(b"abc".repeat(100), 50, 10_000).await;
        assert!(got.truncated && overflowed && !budget.stream_cut());
        assert_eq!(got.bytes.len(), 50);
        assert_eq!(budget.left(), 10_000 - 50);
    }
}
