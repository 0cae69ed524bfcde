//! Admission control: a bounded number of executions at once, a bounded
//! queue in front of them, and the shutdown switches.
//!
//! A request takes a free slot, or waits in the queue, or (queue full) is
//! turned away at once: load never piles up without bound. Waiting is FIFO
//! (tokio's semaphore is fair). A request whose client goes away while it
//! waits or runs is dropped, which frees its place and kills its sandbox.
//!
//! The bound is a semaphore of places (slots plus queue) held from
//! admission to the end of the run, so a run that ends frees its place at
//! once: a request arriving before the next waiter has woken still finds
//! the queue's room.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::metrics::Metrics;

/// Why a request was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every slot and every queue place is taken.
    QueueFull,
    /// The server is draining for shutdown.
    Draining,
}

/// Slots, queue and the shutdown state of one server.
#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    /// Slots and queue places together.
    places: Arc<Semaphore>,
    max_concurrency: usize,
    max_queue: usize,
    draining: AtomicBool,
    kill: watch::Sender<bool>,
    running: AtomicUsize,
}

/// A held execution slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot<'a> {
    _permit: OwnedSemaphorePermit,
    _place: OwnedSemaphorePermit,
    admission: &'a Admission,
    metrics: &'a Metrics,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.admission.running.fetch_sub(1, Ordering::SeqCst);
        self.metrics.in_flight().dec();
    }
}

/// A request waiting in the queue, for the gauge; dropped when it is
/// admitted or abandoned.
struct Waiting<'a>(&'a Metrics);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.queued().dec();
    }
}

impl Admission {
    /// `max_concurrency` slots (at least one) and `max_queue` queue places.
    pub fn new(max_concurrency: usize, max_queue: usize) -> Self {
        let max_concurrency = max_concurrency.max(1);
        Self {
            slots: Arc::new(Semaphore::new(max_concurrency)),
            places: Arc::new(Semaphore::new(max_concurrency.saturating_add(max_queue))),
            max_concurrency,
            max_queue,
            draining: AtomicBool::new(false),
            kill: watch::Sender::new(false),
            running: AtomicUsize::new(0),
        }
    }

    /// Takes a slot, waiting in the queue if there is room.
    ///
    /// # Errors
    ///
    /// [`Refusal::Draining`] while the server shuts down,
    /// [`Refusal::QueueFull`] when every slot and the queue are taken.
    pub async fn admit<'a>(&'a self, metrics: &'a Metrics) -> Result<Slot<'a>, Refusal> {
        if self.is_draining() {
            return Err(Refusal::Draining);
        }
        let place = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::QueueFull)?;
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                metrics.queued().inc();
                let _waiting = Waiting(metrics);
                // Closed only never: the semaphore lives as long as `self`.
                self.slots
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| Refusal::Draining)?
            }
        };
        if self.is_draining() {
            // Queued before the shutdown began: it will not start now.
            return Err(Refusal::Draining);
        }
        self.running.fetch_add(1, Ordering::SeqCst);
        metrics.in_flight().inc();
        Ok(Slot {
            _permit: permit,
            _place: place,
            admission: self,
            metrics,
        })
    }

    /// The configured number of slots.
    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    /// Executions running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Stops admitting: readiness turns false, new requests get 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        // Wake the queue so waiting requests are answered now.
        self.slots.add_permits(self.max_queue.max(1));
    }

    /// Whether the server is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Cancels every running execution (the shutdown deadline passed).
    pub fn kill_all(&self) {
        self.kill.send_replace(true);
    }

    /// Resolves when [`kill_all`](Self::kill_all) is called.
    pub async fn killed(&self) {
        let mut rx = self.kill.subscribe();
        // The sender lives in `self`, so this only ends when set.
        let _ = rx.wait_for(|killed| *killed).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_then_queue_then_refusal() {
        let metrics = Metrics::new();
        let admission = Admission::new(1, 1);
        let first = admission.admit(&metrics).await.unwrap();
        assert_eq!(admission.running(), 1);
        let mut second = Box::pin(admission.admit(&metrics));
        // The second waits in the queue...
        assert!(futures_poll(&mut second).is_none());
        assert_eq!(metrics.queued().get(), 1);
        // ...so a third is refused.
        assert_eq!(
            admission.admit(&metrics).await.unwrap_err(),
            Refusal::QueueFull
        );
        drop(first);
        let second = second.await.unwrap();
        assert_eq!(metrics.queued().get(), 0);
        assert_eq!(metrics.in_flight().get(), 1);
        drop(second);
        assert_eq!(admission.running(), 0);
        admission.start_draining();
        assert_eq!(
            admission.admit(&metrics).await.unwrap_err(),
            Refusal::Draining
        );
    }

    /// A run that ends frees its place at once: a request that comes
    /// before the next waiter has woken is queued, not refused.
    #[tokio::test]
    async fn an_ended_run_frees_its_place_before_the_next_waiter_wakes() {
        let metrics = Metrics::new();
        let admission = Admission::new(1, 1);
        let first = admission.admit(&metrics).await.unwrap();
        let mut second = Box::pin(admission.admit(&metrics));
        assert!(futures_poll(&mut second).is_none());
        drop(first);
        let mut third = Box::pin(admission.admit(&metrics));
        assert!(futures_poll(&mut third).is_none(), "queued, not refused");
        let second = second.await.unwrap();
        drop(second);
        drop(third.await.unwrap());
        assert_eq!(metrics.queued().get(), 0);
        assert_eq!(admission.running(), 0);
    }

    #[tokio::test]
    async fn an_abandoned_wait_frees_its_queue_place() {
        let metrics = Metrics::new();
        let admission = Admission::new(1, 1);
        let _first = admission.admit(&metrics).await.unwrap();
        let mut waiting = Box::pin(admission.admit(&metrics));
        assert!(futures_poll(&mut waiting).is_none());
        drop(waiting);
        assert_eq!(metrics.queued().get(), 0);
        let mut again = Box::pin(admission.admit(&metrics));
        assert!(futures_poll(&mut again).is_none());
    }

    /// Polls a future once.
    fn futures_poll<F: std::future::Future + Unpin>(future: &mut F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match std::pin::Pin::new(future).poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }
}
