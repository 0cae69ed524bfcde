//! The result cap of one run, shared by everything that fills the result:
//! stdout and stderr while the program runs, then the output files. Each
//! takes its encoded size (see [`sandbox_core::encoded`]) before it keeps
//! the bytes, so a run never holds more than the cap, and the JSON the
//! result becomes stays within it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sandbox_core::encoded::RESULT_RESERVE;

/// A run's share of the result cap; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct ResultBudget(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    cap: u64,
    left: AtomicU64,
    /// A stream was cut because the result was full.
    stream_cut: AtomicBool,
}

impl ResultBudget {
    /// The budget of a run whose result may take `cap` bytes of JSON; the
    /// reserve for the fixed fields is set aside.
    pub(crate) fn new(cap: u64) -> Self {
        Self(Arc::new(Shared {
            cap,
            left: AtomicU64::new(cap.saturating_sub(RESULT_RESERVE)),
            stream_cut: AtomicBool::new(false),
        }))
    }

    /// The cap, for messages.
    pub(crate) fn cap(&self) -> u64 {
        self.0.cap
    }

    /// Takes up to `wanted` bytes and returns how many it got.
    pub(crate) fn take_up_to(&self, wanted: u64) -> u64 {
        let mut got = 0;
        let _ = self
            .0
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                got = left.min(wanted);
                Some(left - got)
            });
        got
    }

    /// Takes exactly `wanted` bytes if they are left.
    pub(crate) fn take(&self, wanted: u64) -> bool {
        self.0
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(wanted)
            })
            .is_ok()
    }

    /// Returns bytes taken but not used.
    pub(crate) fn give_back(&self, unused: u64) {
        self.0.left.fetch_add(unused, Ordering::SeqCst);
    }

    /// Bytes left now.
    pub(crate) fn left(&self) -> u64 {
        self.0.left.load(Ordering::SeqCst)
    }

    /// Records that a stream was cut at the result cap.
    pub(crate) fn mark_stream_cut(&self) {
        self.0.stream_cut.store(true, Ordering::SeqCst);
    }

    /// Whether a stream was cut at the result cap (rather than its own).
    pub(crate) fn stream_cut(&self) -> bool {
        self.0.stream_cut.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_never_exceed_the_cap() {
        let budget = ResultBudget::new(RESULT_RESERVE + 100);
        assert_eq!(budget.left(), 100);
        assert!(budget.take(60));
        assert!(!budget.take(41));
        assert_eq!(budget.take_up_to(50), 40);
        assert_eq!(budget.take_up_to(1), 0);
        budget.give_back(10);
        assert!(budget.take(10));
        assert_eq!(budget.cap(), RESULT_RESERVE + 100);
        assert!(!budget.stream_cut());
    }
}
