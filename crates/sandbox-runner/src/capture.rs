//! Reading a child's output stream with a byte cap, so a runaway writer
//! costs the runner at most `cap` bytes of memory, and charging what it
//! keeps to the result cap as JSON-escaped text.

use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;
use tokio::sync::watch;

use sandbox_core::ExecutionEvent;
use sandbox_core::encoded::{LossyMeter, decode_complete};

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

/// Where a run's output goes while the program writes it (live output),
/// besides the result. Unbounded: what it holds is bounded by the output
/// caps, and a slow reader must never stall the program's pipes.
pub type OutputSink = tokio::sync::mpsc::UnboundedSender<ExecutionEvent>;

/// Which stream a [`Tee`] forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// How long text after the last line end waits for more before it goes
/// out alone: an unbuffered `print` writes its pieces one by one, and a
/// line should arrive whole, but a prompt without a line end must arrive
/// too.
const PARTIAL_DELAY: std::time::Duration = std::time::Duration::from_millis(50);

/// Forwards what a capture keeps to an [`OutputSink`] as text: whole
/// characters only, so the forwarded text, concatenated, is the lossy text
/// of what the result keeps (see [`decode_complete`]). Whole lines go at
/// once; the text after the last line end goes after [`PARTIAL_DELAY`]
/// unless a line end comes first.
#[derive(Debug)]
pub(crate) struct Tee {
    sink: OutputSink,
    stream: Stream,
    /// Bytes of the capture already decoded.
    sent: usize,
    /// Decoded text not sent yet: a line without its end.
    held: String,
    /// When `held` must go out.
    deadline: Option<tokio::time::Instant>,
}

impl Tee {
    pub(crate) fn new(sink: OutputSink, stream: Stream) -> Self {
        Self {
            sink,
            stream,
            sent: 0,
            held: String::new(),
            deadline: None,
        }
    }

    fn send(&self, text: String) {
        if text.is_empty() {
            return;
        }
        let event = match self.stream {
            Stream::Stdout => ExecutionEvent::Stdout { text },
            Stream::Stderr => ExecutionEvent::Stderr { text },
        };
        // A reader that went away wants no more; the run goes on.
        let _ = self.sink.send(event);
    }

    /// Forwards the complete lines of `kept` not sent yet, and holds the
    /// rest until a line end or the deadline.
    fn forward(&mut self, kept: &[u8]) {
        let Some(new) = kept.get(self.sent..) else {
            return;
        };
        let (text, used) = decode_complete(new);
        self.sent += used;
        self.held.push_str(&text);
        if let Some(end) = self.held.rfind('\n') {
            let lines: String = self.held.drain(..=end).collect();
            self.send(lines);
        }
        self.deadline = match self.held.is_empty() {
            true => None,
            false => self
                .deadline
                .or_else(|| Some(tokio::time::Instant::now() + PARTIAL_DELAY)),
        };
    }

    /// Sends what is held (its deadline passed).
    fn flush(&mut self) {
        self.deadline = None;
        let held = std::mem::take(&mut self.held);
        self.send(held);
    }

    /// Forwards the rest of `kept`, a character cut short included (as
    /// U+FFFD, as the result shows it).
    fn finish(mut self, kept: &[u8]) {
        let rest = kept.get(self.sent..).unwrap_or_default();
        let mut text = std::mem::take(&mut self.held);
        text.push_str(&String::from_utf8_lossy(rest));
        self.send(text);
    }
}

/// What one stream keeps of what it reads: at most `cap` bytes, charged to
/// the result budget as the lossy text's JSON size (a NUL byte is six
/// bytes), so escaping cannot make the result outgrow its cap. Past either
/// cap it keeps what fits (whole characters), calls `on_overflow` once (the
/// runner stops the program there) and keeps nothing more. With a `tee`,
/// what it keeps is also forwarded as it is read.
pub(crate) struct Keeper<F: FnOnce()> {
    out: Captured,
    meter: LossyMeter,
    /// Bytes of the budget this stream holds: the cost of `out.bytes`.
    charged: u64,
    cap: usize,
    budget: ResultBudget,
    on_overflow: Option<F>,
    tee: Option<Tee>,
}

impl<F: FnOnce()> Keeper<F> {
    pub(crate) fn new(cap: usize, budget: ResultBudget, on_overflow: F, tee: Option<Tee>) -> Self {
        Self {
            out: Captured::default(),
            meter: LossyMeter::default(),
            charged: 0,
            cap,
            budget,
            on_overflow: Some(on_overflow),
            tee,
        }
    }

    /// Keeps what fits of `data`; `false` once a cap was reached.
    fn keep(&mut self, data: &[u8]) -> bool {
        if self.on_overflow.is_none() {
            return false;
        }
        let room = self.cap - self.out.bytes.len();
        self.out
            .bytes
            .extend_from_slice(&data[..data.len().min(room)]);
        let before = self.meter;
        let cost = self.meter.cost(&self.out.bytes) as u64;
        if cost <= self.charged {
            // A character completed for less than was held.
            self.budget.give_back(self.charged - cost);
        } else if !self.budget.take(cost - self.charged) {
            let allowed = self.charged + self.budget.take_up_to(cost - self.charged);
            self.meter = before;
            let (len, used) = self.meter.cut(
                &self.out.bytes,
                usize::try_from(allowed).unwrap_or(usize::MAX),
            );
            self.out.bytes.truncate(len);
            self.budget.give_back(allowed.saturating_sub(used as u64));
            self.budget.mark_stream_cut();
            self.charged = used as u64;
            self.overflow();
            return false;
        }
        self.charged = cost;
        if let Some(tee) = &mut self.tee {
            tee.forward(&self.out.bytes);
        }
        if data.len() > room {
            self.overflow();
            return false;
        }
        true
    }

    fn overflow(&mut self) {
        self.out.truncated = true;
        if let Some(on_overflow) = self.on_overflow.take() {
            on_overflow();
        }
    }

    /// When held text (a line without its end) must go out.
    fn deadline(&self) -> Option<tokio::time::Instant> {
        self.tee.as_ref().and_then(|tee| tee.deadline)
    }

    fn flush(&mut self) {
        if let Some(tee) = &mut self.tee {
            tee.flush();
        }
    }

    /// What was kept; held text goes out.
    fn finish(self) -> Captured {
        if let Some(tee) = self.tee {
            tee.finish(&self.out.bytes);
        }
        self.out
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Reads `pipe` into `keeper` until end of file, a cap, or `stop`.
///
/// `stop` ends the read early: it is raised a short grace after the program
/// exits, in case a process that escaped the kill still holds the pipe
/// open, and it closes when the execution is abandoned.
pub(crate) async fn capture(
    mut pipe: pipe::Receiver,
    cap: usize,
    budget: ResultBudget,
    mut stop: watch::Receiver<bool>,
    on_overflow: impl FnOnce(),
    tee: Option<Tee>,
) -> Captured {
    let mut keeper = Keeper::new(cap, budget, on_overflow, tee);
    let mut chunk = vec![0u8; CHUNK];
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        tokio::select! {
            () = until(keeper.deadline()) => keeper.flush(),
            read = pipe.read(&mut chunk) => match read {
                Ok(0) => break,
                Ok(n) => {
                    if !keeper.keep(&chunk[..n]) {
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
    keeper.finish()
}

/// Reads one run of a session from `pipe`, which stays open across runs,
/// into `keeper`: until `ended` is raised (the worker reported the run's
/// end), then exactly what the pipe holds at that moment, which is all the
/// run wrote before it ended. Past a cap it reads on and drops, so the
/// program never blocks on a full pipe and nothing is left for the next run.
#[cfg(target_os = "linux")]
pub(crate) async fn capture_run(
    pipe: &mut pipe::Receiver,
    mut keeper: Keeper<impl FnOnce()>,
    mut ended: watch::Receiver<bool>,
) -> Captured {
    let mut chunk = vec![0u8; CHUNK];
    let take = |keeper: &mut Keeper<_>, data: &[u8]| {
        let _ = keeper.keep(data);
    };
    loop {
        if *ended.borrow_and_update() {
            break;
        }
        tokio::select! {
            () = until(keeper.deadline()) => keeper.flush(),
            read = pipe.read(&mut chunk) => match read {
                Ok(0) => return keeper.finish(),
                Ok(n) => take(&mut keeper, &chunk[..n]),
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => {
                    tracing::warn!(%err, "reading the program's output failed");
                    return keeper.finish();
                }
            },
            changed = ended.changed() => {
                if changed.is_err() {
                    return keeper.finish();
                }
            }
        }
    }
    let mut left = {
        use std::os::fd::AsFd as _;
        crate::sys::bytes_in_pipe(pipe.as_fd())
    };
    while left > 0 {
        let want = left.min(chunk.len());
        match pipe.read(&mut chunk[..want]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                take(&mut keeper, &chunk[..n]);
                left -= n;
            }
        }
    }
    keeper.finish()
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;
    use sandbox_core::encoded::{RESULT_RESERVE, lossy_json_len};

    /// Captures what `write` sends through a pipe, with `cap` and a result
    /// budget of `room` bytes past the reserve.
    async fn through_pipe(data: Vec<u8>, cap: usize, room: u64) -> (Captured, ResultBudget, bool) {
        through_pipe_to(data, cap, room, None).await
    }

    async fn through_pipe_to(
        data: Vec<u8>,
        cap: usize,
        room: u64,
        tee: Option<Tee>,
    ) -> (Captured, ResultBudget, bool) {
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
        let got = capture(
            rx,
            cap,
            budget.clone(),
            stop_rx,
            move || {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            },
            tee,
        )
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

    /// The text forwarded live, concatenated, next to what the result keeps.
    async fn forwarded(data: Vec<u8>, cap: usize, room: u64) -> (String, Captured) {
        let (sink, mut events) = tokio::sync::mpsc::unbounded_channel();
        let tee = Tee::new(sink, Stream::Stderr);
        let (got, _, _) = through_pipe_to(data, cap, room, Some(tee)).await;
        let mut text = String::new();
        while let Ok(event) = events.try_recv() {
            match event {
                ExecutionEvent::Stderr { text: piece } => {
                    assert!(!piece.is_empty());
                    text.push_str(&piece);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        (text, got)
    }

    #[tokio::test]
    async fn live_text_is_what_the_result_keeps_whatever_the_cut() {
        // Characters straddle the 7-byte writes; an invalid byte and a
        // character cut short end it.
        let mut data = "naïve €😀 ".repeat(50).into_bytes();
        data.extend_from_slice(&[0xff, b'x', 0xe2, 0x82]);
        let (text, got) = forwarded(data.clone(), 1 << 20, 100_000).await;
        assert_eq!(got.bytes, data);
        assert_eq!(text, String::from_utf8_lossy(&data));
        // The stream cap cuts inside a character; the budget cuts too.
        for (cap, room) in [(101, 100_000), (1 << 20, 333), (37, 50)] {
            let (text, got) = forwarded(data.clone(), cap, room).await;
            assert!(got.truncated);
            assert_eq!(
                text,
                String::from_utf8_lossy(&got.bytes),
                "cap {cap}, room {room}"
            );
        }
    }
}
