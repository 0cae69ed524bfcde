//! Live output: a run's events while it runs, then its result, the same
//! locally and remotely.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use sandbox_core::{ExecutionEvent, ExecutionResult, SandboxError};
use tokio::sync::mpsc;

type Run = Pin<Box<dyn Future<Output = Result<ExecutionResult, SandboxError>> + Send>>;

/// A run in progress: a [`Stream`](futures_core::Stream) of its events.
/// `stdout` and `stderr` events come as the program writes (each stream in
/// its own order), then one `result` event, then the stream ends. The output
/// events' text, concatenated, is the result's `stdout` and `stderr`: text
/// only the result had (a policy refusal's diagnostics, say) comes as one
/// last output event before it. Dropping the stream cancels the run (its
/// sandbox is killed), as dropping [`execute_request`]'s future does.
///
/// [`execute_request`]: crate::SandboxClient::execute_request
#[must_use = "a stream does nothing unless polled; dropping it cancels the run"]
pub struct ExecutionStream {
    events: mpsc::UnboundedReceiver<ExecutionEvent>,
    run: Run,
    sent: [Sent; 2],
    /// Display events handed out.
    shown: usize,
    /// Once the run ended: what is left to hand out, the result last.
    ending: Option<VecDeque<Result<ExecutionEvent, SandboxError>>>,
}

impl std::fmt::Debug for ExecutionStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionStream")
            .field("ended", &self.ending.is_some())
            .finish_non_exhaustive()
    }
}

/// What went out of one stream: its length and a hash (FNV-1a, the same
/// whatever the pieces), to tell whether the result's text extends it.
#[derive(Debug, Clone, Copy)]
struct Sent {
    len: usize,
    hash: u64,
}

impl Default for Sent {
    fn default() -> Self {
        Self {
            len: 0,
            hash: FNV_OFFSET,
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

impl Sent {
    fn add(&mut self, text: &str) {
        self.len += text.len();
        self.hash = fnv(self.hash, text);
    }

    /// The rest of `whole` past what was sent, when `whole` starts with it.
    fn rest_of<'a>(&self, whole: &'a str) -> Option<&'a str> {
        let head = whole.get(..self.len)?;
        (fnv(FNV_OFFSET, head) == self.hash)
            .then(|| &whole[self.len..])
            .filter(|rest| !rest.is_empty())
    }
}

fn fnv(mut hash: u64, text: &str) -> u64 {
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

impl ExecutionStream {
    /// A stream over `events`, which `run` feeds while it runs.
    pub(crate) fn new(
        events: mpsc::UnboundedReceiver<ExecutionEvent>,
        run: impl Future<Output = Result<ExecutionResult, SandboxError>> + Send + 'static,
    ) -> Self {
        Self {
            events,
            run: Box::pin(run),
            sent: [Sent::default(); 2],
            shown: 0,
            ending: None,
        }
    }

    /// The next event; `None` after the result (or an error).
    ///
    /// # Errors
    ///
    /// The run's [`SandboxError`] in place of the result, as
    /// [`execute_request`](crate::SandboxClient::execute_request) returns it.
    pub async fn next(&mut self) -> Option<Result<ExecutionEvent, SandboxError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_event(cx)).await
    }

    /// Runs to the end, handing each output event to `on_output` as it
    /// comes, and returns the result.
    ///
    /// # Errors
    ///
    /// As [`execute_request`](crate::SandboxClient::execute_request).
    pub async fn finish(
        mut self,
        mut on_output: impl FnMut(ExecutionEvent),
    ) -> Result<ExecutionResult, SandboxError> {
        while let Some(event) = self.next().await {
            match event? {
                ExecutionEvent::Result(result) => return Ok(*result),
                output => on_output(output),
            }
        }
        Err(SandboxError::io(
            "run the code",
            std::io::Error::other("the run ended without a result"),
        ))
    }

    fn count(&mut self, event: &ExecutionEvent) {
        match event {
            ExecutionEvent::Stdout { text } => self.sent[0].add(text),
            ExecutionEvent::Stderr { text } => self.sent[1].add(text),
            ExecutionEvent::Display { .. } => self.shown += 1,
            _ => {}
        }
    }

    /// What is left once the run ended: the text only the result has,
    /// then the result.
    fn ending_of(
        &self,
        outcome: Result<ExecutionResult, SandboxError>,
    ) -> VecDeque<Result<ExecutionEvent, SandboxError>> {
        let mut ending = VecDeque::new();
        if let Ok(result) = &outcome {
            if let Some(rest) = self.sent[0].rest_of(&result.stdout) {
                ending.push_back(Ok(ExecutionEvent::Stdout { text: rest.into() }));
            }
            if let Some(rest) = self.sent[1].rest_of(&result.stderr) {
                ending.push_back(Ok(ExecutionEvent::Stderr { text: rest.into() }));
            }
            for data in result.display.iter().skip(self.shown) {
                ending.push_back(Ok(ExecutionEvent::Display { data: data.clone() }));
            }
        }
        ending.push_back(outcome.map(|result| ExecutionEvent::Result(Box::new(result))));
        ending
    }

    fn poll_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<ExecutionEvent, SandboxError>>> {
        if let Some(ending) = &mut self.ending {
            return Poll::Ready(ending.pop_front());
        }
        if let Poll::Ready(outcome) = self.run.as_mut().poll(cx) {
            // Everything the run sent is queued by now: it goes first, then
            // the text only the result has, then the result.
            let mut ending = VecDeque::new();
            while let Ok(event) = self.events.try_recv() {
                self.count(&event);
                ending.push_back(Ok(event));
            }
            ending.extend(self.ending_of(outcome));
            let first = ending.pop_front();
            self.ending = Some(ending);
            return Poll::Ready(first);
        }
        match self.events.poll_recv(cx) {
            Poll::Ready(Some(event)) => {
                self.count(&event);
                Poll::Ready(Some(Ok(event)))
            }
            // No sender left, or nothing yet: the run's waker is set.
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }
}

impl futures_core::Stream for ExecutionStream {
    type Item = Result<ExecutionEvent, SandboxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_event(cx)
    }
}
