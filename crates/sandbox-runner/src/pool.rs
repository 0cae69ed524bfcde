//! Warm sandboxes: secure sandboxes prepared before the request, up to the
//! interpreter's hello, so a request pays only for running its code.
//!
//! A pool belongs to one runner (one configuration) and keeps up to `size`
//! prepared sandboxes per *shape* (network on or off; the interpreter,
//! isolation level and work root are the runner's). A sandbox runs exactly
//! one request and is then destroyed; taking one wakes the pool's thread,
//! which prepares a replacement. Prepared sandboxes wait under the most any
//! request may ask (rlimits, cgroup memory) and get the request's own limits
//! at checkout; a request that does not fit (more input than a prepared
//! work dir holds) takes the cold path.
//!
//! The pool's thread runs its own async runtime, so sandboxes it prepares
//! outlive any caller's runtime, and it is the thread that made them: the
//! kernel kills a sandbox whose creating thread ends (`PR_SET_PDEATHSIG`),
//! so the thread stays until the pool is dropped and nothing it made is in
//! use.
//!
//! Sandboxes come from a fork server per shape (`secure::zygote`), which
//! makes one for a fraction of a cold start's cost; where the server
//! cannot start or fails, the pool prepares cold sandboxes instead and
//! says so in the log.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::pool_stats::PoolStats;
use crate::secure::session::{Prepared, Recipe, prepare};
use crate::secure::zygote::Zygote;

/// How long after a fork server failed to start the pool tries again.
const SERVER_RETRY: Duration = Duration::from_secs(30);

/// The pool's fork servers, by shape, started on first use.
#[derive(Default)]
struct Servers(tokio::sync::Mutex<HashMap<Shape, Server>>);

enum Server {
    Running(Arc<Zygote>),
    /// It failed to start; the pool prepares cold sandboxes until then.
    RetryAt(Instant),
}

impl Servers {
    /// A running server for `shape`, started (or restarted) if needed.
    async fn get(&self, shape: Shape, recipe: &Arc<Recipe>) -> Option<Arc<Zygote>> {
        let mut servers = self.0.lock().await;
        match servers.get(&shape) {
            Some(Server::Running(server)) if server.is_alive() => return Some(server.clone()),
            Some(Server::RetryAt(when)) if Instant::now() < *when => return None,
            _ => {}
        }
        match Zygote::start(recipe.clone()).await {
            Ok(server) => {
                let server = Arc::new(server);
                servers.insert(shape, Server::Running(server.clone()));
                Some(server)
            }
            Err(err) => {
                tracing::warn!(
                    %err,
                    "the sandbox pool's fork server did not start; it prepares cold sandboxes (slower) and tries again in 30 s"
                );
                servers.insert(shape, Server::RetryAt(Instant::now() + SERVER_RETRY));
                None
            }
        }
    }

    /// A sandbox of `shape` from its fork server (true), else a cold one.
    async fn prepare(
        &self,
        shape: Shape,
        recipe: Arc<Recipe>,
    ) -> Result<(Prepared, bool), sandbox_core::SandboxError> {
        if let Some(server) = self.get(shape, &recipe).await {
            match server.fork().await {
                Ok(prepared) => return Ok((prepared, true)),
                Err(err) => tracing::warn!(
                    %err,
                    why = std::error::Error::source(&err).map(ToString::to_string),
                    "the sandbox pool's fork server failed to make a sandbox; preparing a cold one"
                ),
            }
        }
        prepare(recipe).await.map(|prepared| (prepared, false))
    }
}

/// Longest a miss waits for a sandbox being prepared.
const MAX_WAIT: Duration = Duration::from_millis(200);
/// Longest a refill waits for the runs in progress to end.
const REFILL_DEFER: Duration = Duration::from_millis(50);
/// How often idle sandboxes are checked for having died.
const HEALTH_CHECK: Duration = Duration::from_secs(1);
/// Longest pause between failed refills (doubling from 50 ms).
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The longest a closing pool waits for the background ends of its runs.
const TAIL_LIMIT: Duration = Duration::from_secs(5);

/// A shape: what sandboxes differ by within one runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    pub(crate) allow_network: bool,
}

/// One shape's sandboxes.
#[derive(Debug)]
struct Shelf {
    recipe: Arc<Recipe>,
    ready: VecDeque<Prepared>,
    preparing: usize,
    /// When a failed preparation may be retried.
    retry_at: Option<Instant>,
    backoff: Duration,
}

#[derive(Debug, Default)]
struct State {
    shelves: HashMap<Shape, Shelf>,
    closed: bool,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    refills: AtomicU64,
    forked: AtomicU64,
    failed: AtomicU64,
    died: AtomicU64,
    refill_us: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    size: usize,
    /// Sandboxes taken and not yet finished.
    checked_out: AtomicUsize,
    /// Woken when a sandbox is taken or a taken one's run ends.
    changed: tokio::sync::Notify,
    /// Woken when a prepared sandbox is put on a shelf.
    stocked: tokio::sync::Notify,
    state: Mutex<State>,
    wake: tokio::sync::Notify,
    counters: Counters,
    last_error: Mutex<Option<String>>,
    /// Turns true when the pool's thread has nothing left to prepare or
    /// discard after closing.
    finished: tokio::sync::watch::Sender<bool>,
    /// This pool is counted in [`CLOSING`].
    closing: AtomicBool,
}

/// Pools closed whose thread has not ended yet (it may still be preparing
/// a sandbox, or discarding one): a process waits for them before it exits
/// ([`wait_for_closing`]), or what they hold would be left behind.
static CLOSING: AtomicUsize = AtomicUsize::new(0);

/// Waits up to `limit` for the threads of closed pools to end.
pub(crate) fn wait_for_closing(limit: Duration) {
    crate::wait_for_zero(&CLOSING, limit);
}

/// The pool. Dropping it ends every sandbox still waiting.
#[derive(Debug)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl Pool {
    /// A pool of up to `size` sandboxes per shape, with its thread; `None`
    /// when `size` is 0 or no thread can be started.
    pub(crate) fn new(size: usize) -> Option<Self> {
        if size == 0 {
            return None;
        }
        let inner = Arc::new(Inner {
            size,
            checked_out: AtomicUsize::new(0),
            changed: tokio::sync::Notify::new(),
            stocked: tokio::sync::Notify::new(),
            state: Mutex::new(State::default()),
            wake: tokio::sync::Notify::new(),
            counters: Counters::default(),
            last_error: Mutex::new(None),
            finished: tokio::sync::watch::Sender::new(false),
            closing: AtomicBool::new(false),
        });
        let worker = inner.clone();
        let started = std::thread::Builder::new()
            .name("sandbox-pool".into())
            .spawn(move || refill_thread(worker));
        match started {
            Ok(_) => Some(Self { inner }),
            Err(err) => {
                tracing::warn!(%err, "no thread for the sandbox pool; every run starts cold");
                None
            }
        }
    }

    /// A prepared sandbox of `shape` with the lease to hold until its run
    /// ends. When none waits but one is being prepared, waits for it up to
    /// about twice the mean preparation time (a forked sandbox is ready
    /// sooner, and costs less CPU, than a cold run would take); else `None`
    /// (a miss: the request runs cold). The shape is stocked from `recipe`
    /// from now on.
    pub(crate) async fn take(
        &self,
        shape: Shape,
        recipe: impl FnOnce() -> Arc<Recipe>,
    ) -> Option<(Prepared, Lease)> {
        let mut recipe = Some(recipe);
        let deadline = Instant::now() + self.wait_limit();
        let found = loop {
            let stocked = self.inner.stocked.notified();
            let (found, worth_waiting) = self.try_take(shape, &mut recipe);
            if found.is_some() || !worth_waiting {
                break found;
            }
            let until = tokio::time::Instant::from_std(deadline);
            if tokio::time::timeout_at(until, stocked).await.is_err() {
                break self.try_take(shape, &mut recipe).0;
            }
        };
        let counter = if found.is_some() {
            &self.inner.counters.hits
        } else {
            &self.inner.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found.map(|prepared| {
            self.inner.checked_out.fetch_add(1, Ordering::SeqCst);
            (prepared, Lease(self.inner.clone()))
        })
    }

    /// How long a miss may wait for a sandbox being prepared.
    fn wait_limit(&self) -> Duration {
        let counters = &self.inner.counters;
        let refills = counters.refills.load(Ordering::Relaxed);
        if refills == 0 {
            return Duration::ZERO;
        }
        let mean = counters.refill_us.load(Ordering::Relaxed) / refills;
        (Duration::from_micros(mean) * 2).clamp(Duration::from_millis(5), MAX_WAIT)
    }

    /// A waiting sandbox of `shape`, and whether one is being prepared
    /// (worth waiting for).
    fn try_take<F: FnOnce() -> Arc<Recipe>>(
        &self,
        shape: Shape,
        recipe: &mut Option<F>,
    ) -> (Option<Prepared>, bool) {
        let mut state = self.inner.lock();
        let closed = state.closed;
        if !state.shelves.contains_key(&shape)
            && let Some(make) = recipe.take()
        {
            let shelf = Shelf {
                recipe: make(),
                ready: VecDeque::new(),
                preparing: 0,
                retry_at: None,
                backoff: Duration::ZERO,
            };
            state.shelves.insert(shape, shelf);
        }
        let Some(shelf) = state.shelves.get_mut(&shape) else {
            return (None, false);
        };
        let mut found = None;
        while let Some(prepared) = shelf.ready.pop_front() {
            if prepared.is_alive() {
                found = Some(prepared);
                break;
            }
            self.inner.counters.died.fetch_add(1, Ordering::Relaxed);
        }
        // Something is being prepared, or the pool's thread (just woken)
        // starts on it now.
        let worth_waiting = !closed
            && shelf.retry_at.is_none()
            && (shelf.preparing > 0 || shelf.ready.len() < self.inner.size);
        drop(state);
        self.inner.wake.notify_one();
        self.inner.changed.notify_waiters();
        (found, worth_waiting)
    }

    /// Counts a sandbox found dead only when its request was sent (it then
    /// ran cold): a hit turned into a miss.
    pub(crate) fn died_idle(&self) {
        let counters = &self.inner.counters;
        counters.died.fetch_add(1, Ordering::Relaxed);
        counters.hits.fetch_sub(1, Ordering::Relaxed);
        counters.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// Stocks `shape` from `recipe` now, before any request asks for it.
    pub(crate) fn warm(&self, shape: Shape, recipe: Arc<Recipe>) {
        self.inner
            .lock()
            .shelves
            .entry(shape)
            .or_insert_with(|| Shelf {
                recipe,
                ready: VecDeque::new(),
                preparing: 0,
                retry_at: None,
                backoff: Duration::ZERO,
            });
        self.inner.wake.notify_one();
    }

    /// Stops preparing sandboxes and takes the waiting ones (for the
    /// caller to end).
    fn close_now(&self) -> Vec<Prepared> {
        let drained = {
            let mut state = self.inner.lock();
            if !std::mem::replace(&mut state.closed, true) {
                // Under the lock: the thread sees `closed` only after this.
                CLOSING.fetch_add(1, Ordering::SeqCst);
                self.inner.closing.store(true, Ordering::SeqCst);
            }
            state
                .shelves
                .values_mut()
                .flat_map(|shelf| shelf.ready.drain(..))
                .collect()
        };
        self.inner.wake.notify_one();
        drained
    }

    /// Ends every waiting sandbox and stops preparing more; returns once
    /// nothing the pool made is left but sandboxes still running requests.
    pub(crate) async fn close(&self) {
        let drained = self.close_now();
        let _ =
            tokio::task::spawn_blocking(move || drained.into_iter().for_each(Prepared::discard))
                .await;
        let mut finished = self.inner.finished.subscribe();
        let _ = finished.wait_for(|done| *done).await;
        // Runs that already answered may still be ending.
        let _ = tokio::task::spawn_blocking(|| crate::secure::session::wait_for_tails(TAIL_LIMIT))
            .await;
    }

    /// What the pool did so far.
    pub fn stats(&self) -> PoolStats {
        let counters = &self.inner.counters;
        let refills = counters.refills.load(Ordering::Relaxed);
        let ready = self
            .inner
            .lock()
            .shelves
            .values()
            .map(|s| s.ready.len())
            .sum();
        PoolStats {
            size: self.inner.size,
            ready,
            hits: counters.hits.load(Ordering::Relaxed),
            misses: counters.misses.load(Ordering::Relaxed),
            refills,
            forked: counters.forked.load(Ordering::Relaxed),
            failed_refills: counters.failed.load(Ordering::Relaxed),
            died_idle: counters.died.load(Ordering::Relaxed),
            mean_refill_ms: if refills == 0 {
                0.0
            } else {
                counters.refill_us.load(Ordering::Relaxed) as f64 / refills as f64 / 1000.0
            },
            last_error: self
                .inner
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }
}

/// Held while a sandbox taken from the pool runs: the pool's thread, which
/// made it, stays until every lease is gone.
#[derive(Debug)]
pub(crate) struct Lease(Arc<Inner>);

impl Drop for Lease {
    fn drop(&mut self) {
        self.0.checked_out.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

impl Drop for Pool {
    // Without waiting: the sandboxes end on threads of their own.
    fn drop(&mut self) {
        drop(self.close_now());
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next shape to prepare a sandbox for, marked as being prepared.
    fn next_job(&self, in_flight: usize, limit: usize) -> Option<(Shape, Arc<Recipe>)> {
        if in_flight >= limit {
            return None;
        }
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        let now = Instant::now();
        let size = self.size;
        let (shape, shelf) = state.shelves.iter_mut().find(|(_, shelf)| {
            shelf.ready.len() + shelf.preparing < size && shelf.retry_at.is_none_or(|at| at <= now)
        })?;
        shelf.preparing += 1;
        Some((*shape, shelf.recipe.clone()))
    }

    /// While `shape` still has a sandbox waiting, waits (at most
    /// [`REFILL_DEFER`]) until no sandbox taken from the pool is running: on
    /// a small machine, preparing a replacement while a request runs slows
    /// that request down. An empty shelf is refilled at once.
    async fn until_runs_end(&self, shape: Shape) {
        let _ = tokio::time::timeout(REFILL_DEFER, async {
            loop {
                let changed = self.changed.notified();
                let empty = self
                    .lock()
                    .shelves
                    .get(&shape)
                    .is_none_or(|shelf| shelf.ready.is_empty());
                if empty || self.checked_out.load(Ordering::SeqCst) == 0 {
                    return;
                }
                changed.await;
            }
        })
        .await;
    }

    /// Files a finished preparation.
    fn done(&self, shape: Shape, outcome: Result<(Prepared, bool), String>, took: Duration) {
        let mut discard = None;
        {
            let mut state = self.lock();
            let closed = state.closed;
            let Some(shelf) = state.shelves.get_mut(&shape) else {
                return;
            };
            shelf.preparing = shelf.preparing.saturating_sub(1);
            match outcome {
                Ok((prepared, forked)) => {
                    self.counters.refills.fetch_add(1, Ordering::Relaxed);
                    if forked {
                        self.counters.forked.fetch_add(1, Ordering::Relaxed);
                    }
                    self.counters.refill_us.fetch_add(
                        u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
                        Ordering::Relaxed,
                    );
                    shelf.backoff = Duration::ZERO;
                    shelf.retry_at = None;
                    if closed {
                        discard = Some(prepared);
                    } else {
                        shelf.ready.push_back(prepared);
                        self.stocked.notify_waiters();
                    }
                    *self
                        .last_error
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                }
                Err(message) => {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                    shelf.backoff =
                        (shelf.backoff * 2).clamp(Duration::from_millis(50), MAX_BACKOFF);
                    shelf.retry_at = Some(Instant::now() + shelf.backoff);
                    tracing::warn!(
                        error = %message,
                        retry_in_ms = u64::try_from(shelf.backoff.as_millis()).unwrap_or(u64::MAX),
                        "the sandbox pool could not prepare a sandbox; runs start cold meanwhile"
                    );
                    *self
                        .last_error
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message);
                }
            }
        }
        // Closed meanwhile: this is the pool's own thread, so end it here.
        if let Some(prepared) = discard {
            prepared.discard();
        }
    }

    /// Drops idle sandboxes that died while waiting (the refill replaces
    /// them).
    fn drop_dead(&self) {
        let dead: Vec<Prepared> = {
            let mut state = self.lock();
            let mut dead = Vec::new();
            for shelf in state.shelves.values_mut() {
                let (alive, gone): (Vec<_>, Vec<_>) =
                    shelf.ready.drain(..).partition(Prepared::is_alive);
                shelf.ready = alive.into();
                dead.extend(gone);
            }
            dead
        };
        if !dead.is_empty() {
            self.counters
                .died
                .fetch_add(dead.len() as u64, Ordering::Relaxed);
            tracing::warn!(
                count = dead.len(),
                "prepared sandboxes died while waiting; replacing them"
            );
        }
    }
}

/// The pool's thread: prepares sandboxes (up to two at once, which keeps
/// both cores of a small machine busy without starving requests) until the
/// pool is closed and nothing it prepared is still being set up.
fn refill_thread(inner: Arc<Inner>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::warn!(%err, "no runtime for the sandbox pool; every run starts cold");
            inner.lock().closed = true;
            return;
        }
    };
    let parallel = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 2);
    let worker = inner.clone();
    let servers = Arc::new(Servers::default());
    let serving = servers.clone();
    runtime.block_on(async move {
        let inner = worker;
        let servers = serving;
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while let Some((shape, recipe)) = inner.next_job(tasks.len(), parallel) {
                let servers = servers.clone();
                let quiet = inner.clone();
                tasks.spawn(async move {
                    quiet.until_runs_end(shape).await;
                    let start = Instant::now();
                    let outcome = servers
                        .prepare(shape, recipe)
                        .await
                        .map_err(|e| e.to_string());
                    (shape, outcome, start.elapsed())
                });
            }
            if inner.lock().closed && tasks.is_empty() {
                break;
            }
            tokio::select! {
                Some(Ok((shape, outcome, took))) = tasks.join_next(), if !tasks.is_empty() => {
                    inner.done(shape, outcome, took);
                }
                () = inner.wake.notified() => {}
                () = tokio::time::sleep(HEALTH_CHECK) => inner.drop_dead(),
            }
        }
    });
    // Sandboxes prepared after closing were dropped in `done`; a sandbox
    // checked out earlier was made by this thread, so wait until none is
    // running before the thread ends (its end would kill them).
    while inner.checked_out.load(Ordering::SeqCst) > 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Every sandbox the fork servers made is finished: end the servers
    // (and with them their base sandboxes); then the pool is closed.
    drop(servers);
    inner.finished.send_replace(true);
    if inner.closing.swap(false, Ordering::SeqCst) {
        CLOSING.fetch_sub(1, Ordering::SeqCst);
    }
}
