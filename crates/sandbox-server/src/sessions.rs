//! Sessions on the server: kept sandboxes by id, each owned by the caller
//! (API key, or client address without keys) that made it. Another caller,
//! an unknown id and an ended session all get 404, the last saying why it
//! ended. Sessions are ended when idle past their idle timeout, at their
//! maximum lifetime, at shutdown, and when their program ends them (a run
//! that would not stop, the memory limit).
//!
//! A session lives in this process: in a deployment of several replicas,
//! requests for one id must reach the replica that made it (see
//! `deploy/kubernetes`, routing on the session id).

use std::collections::{HashMap, VecDeque};
use std::io::Read as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use sandbox_client::{SandboxError, Session};
use serde::Serialize;

use crate::config::SessionLimits;
use crate::error::{ApiFailure, Code};
use crate::keys::Caller;
use crate::metrics::Metrics;

/// The header a client may name a new session's id in (and names it in on
/// every call to it), so a proxy in front of several replicas can route
/// every call of one session, its creation included, to one replica by
/// hashing the header.
pub const SESSION_HEADER: &str = "x-sandbox-session";

/// Whether `id` is a session id as this server makes them: 32 lowercase
/// hex digits (128 bits).
pub fn is_session_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Ended sessions remembered, to say why to later calls.
const REMEMBERED_ENDS: usize = 1024;

/// How often idle and old sessions are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A place held for a session being made.
#[derive(Debug)]
pub struct Reservation<'a> {
    sessions: &'a Sessions,
    caller: Caller,
    proposed: Option<String>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut open = self.sessions.lock();
        if let Some(at) = open.reserved.iter().position(|c| *c == self.caller) {
            open.reserved.swap_remove(at);
        }
    }
}

/// One open session.
#[derive(Debug)]
pub struct Entry {
    /// Its id.
    pub id: String,
    owner: Caller,
    /// The kept sandbox.
    pub session: Session,
    created: Instant,
    created_at: SystemTime,
    idle_timeout: Duration,
    last_used: Mutex<Instant>,
    /// Calls in progress: a session is never ended as idle while one runs.
    busy: AtomicUsize,
    /// Runs take turns here before they ask for an execution slot, so runs
    /// queued on one busy session hold no slot others could use.
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl Entry {
    /// Waits for this session's turn to run (the runs before it done).
    pub async fn turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        Arc::clone(&self.turn).lock_owned().await
    }
}

/// A call in progress on a session; the session is used until it is dropped.
#[derive(Debug)]
pub struct InUse(Arc<Entry>);

impl std::ops::Deref for InUse {
    type Target = Entry;
    fn deref(&self) -> &Entry {
        &self.0
    }
}

impl Drop for InUse {
    fn drop(&mut self) {
        *self
            .0
            .last_used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A session as `GET /sessions` lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// The session's id.
    pub session_id: String,
    /// When it was made, in seconds since the Unix epoch.
    pub created_at: f64,
    /// Seconds it may sit unused before it is ended.
    pub idle_timeout: f64,
    /// Seconds since it was last used.
    pub idle_for: f64,
    /// Seconds left of its maximum lifetime.
    pub expires_in: f64,
}

/// The answer to `POST /sessions`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Created {
    /// The new session's id, for `/sessions/{id}/...`.
    pub session_id: String,
    /// Seconds it may sit unused before it is ended.
    pub idle_timeout: f64,
    /// Seconds it may live at most.
    pub max_lifetime: f64,
}

/// The server's sessions.
#[derive(Debug)]
pub struct Sessions {
    limits: SessionLimits,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    by_id: HashMap<String, Arc<Entry>>,
    /// Sessions being made, counted against the limits.
    reserved: Vec<Caller>,
    /// Why recently ended sessions ended, oldest first.
    ended: VecDeque<(String, String)>,
}

impl Open {
    fn held_by(&self, caller: &Caller) -> usize {
        self.by_id.values().filter(|e| &e.owner == caller).count()
            + self.reserved.iter().filter(|c| *c == caller).count()
    }

    fn remember(&mut self, id: String, why: String) {
        if self.ended.len() == REMEMBERED_ENDS {
            self.ended.pop_front();
        }
        self.ended.push_back((id, why));
    }
}

/// A new, unguessable session id (128 random bits, hex).
fn new_id() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn seconds_since(at: Instant) -> f64 {
    at.elapsed().as_secs_f64()
}

impl Sessions {
    /// No sessions yet, under `limits`.
    pub fn new(limits: SessionLimits) -> Self {
        Self {
            limits,
            open: Mutex::new(Open::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The limits.
    pub fn limits(&self) -> &SessionLimits {
        &self.limits
    }

    /// Sessions open now.
    pub fn count(&self) -> usize {
        self.lock().by_id.len()
    }

    /// The idle timeout a session asking for `asked` gets.
    ///
    /// # Errors
    /// 422 past the server's.
    pub fn idle_timeout(&self, asked: Option<Duration>) -> Result<Duration, ApiFailure> {
        match asked {
            Some(asked) if asked > self.limits.idle_timeout => Err(ApiFailure::invalid(format!(
                "`idle_timeout` is {} s, this server allows at most {} s",
                asked.as_secs_f64(),
                self.limits.idle_timeout.as_secs_f64()
            ))),
            Some(asked) if asked < Duration::from_secs(1) => Err(ApiFailure::invalid(
                "`idle_timeout` must be a number of seconds, at least 1",
            )),
            Some(asked) => Ok(asked),
            None => Ok(self.limits.idle_timeout),
        }
    }

    /// Holds a place for a session of `caller` while it is made (the place
    /// goes when the reservation is dropped).
    ///
    /// # Errors
    /// 503 when sessions are off or the server holds its most, 429 when the
    /// caller holds its most (both but the first with `Retry-After`), 422
    /// for a malformed proposed id.
    pub fn reserve(
        &self,
        metrics: &Metrics,
        caller: &Caller,
        proposed: Option<&str>,
    ) -> Result<Reservation<'_>, ApiFailure> {
        if self.limits.max_sessions == 0 {
            return Err(ApiFailure::new(
                Code::Unavailable,
                "this server offers no sessions (--max-sessions is 0); use POST /execute",
            )
            .retry_after(3600));
        }
        if let Some(id) = proposed.filter(|id| !is_session_id(id)) {
            return Err(ApiFailure::invalid(format!(
                "`{SESSION_HEADER}` is `{}`: a new session's id must be 32 lowercase hex digits \
                 (128 random bits)",
                shown(id)
            )));
        }
        let mut open = self.lock();
        if open.by_id.len() + open.reserved.len() >= self.limits.max_sessions {
            metrics.rejected("sessions_full");
            return Err(ApiFailure::new(
                Code::Overloaded,
                format!(
                    "all {} sessions of this server are open; retry later or close one",
                    self.limits.max_sessions
                ),
            )
            .retry_after(10));
        }
        if open.held_by(caller) >= self.limits.max_per_caller {
            metrics.rejected("session_limit");
            return Err(ApiFailure::new(
                Code::RateLimited,
                format!(
                    "this caller holds {} sessions, the most this server allows; close one \
                     (DELETE /sessions/{{id}}) or let one expire",
                    self.limits.max_per_caller
                ),
            )
            .retry_after(self.limits.idle_timeout.as_secs().max(1)));
        }
        open.reserved.push(caller.clone());
        Ok(Reservation {
            sessions: self,
            caller: caller.clone(),
            proposed: proposed.map(str::to_owned),
        })
    }

    /// Keeps `session`, made under `reservation`, as the caller's.
    ///
    /// # Errors
    /// 422 when the proposed id is taken; 500 when no id can be made.
    pub fn insert(
        &self,
        reservation: Reservation<'_>,
        metrics: &Metrics,
        request_id: &str,
        session: Session,
        idle_timeout: Duration,
    ) -> Result<Created, ApiFailure> {
        let mut open = self.lock();
        let id = match &reservation.proposed {
            Some(id) if open.by_id.contains_key(id) || open.ended.iter().any(|(e, _)| e == id) => {
                return Err(ApiFailure::invalid(format!(
                    "session id `{id}` is taken; propose another (128 random bits)"
                )));
            }
            Some(id) => id.clone(),
            None => new_id().map_err(|err| {
                tracing::error!(error = %err, "cannot read random bytes for a session id");
                ApiFailure::internal(request_id)
            })?,
        };
        let now = Instant::now();
        let caller = reservation.caller.clone();
        open.by_id.insert(
            id.clone(),
            Arc::new(Entry {
                id: id.clone(),
                owner: caller.clone(),
                session,
                created: now,
                created_at: SystemTime::now(),
                idle_timeout,
                last_used: Mutex::new(now),
                busy: AtomicUsize::new(0),
                turn: Arc::default(),
            }),
        );
        metrics.sessions().created.inc();
        metrics
            .sessions()
            .open
            .set(i64::try_from(open.by_id.len()).unwrap_or(i64::MAX));
        drop(open);
        drop(reservation);
        tracing::info!(%caller, session = %id, "session created");
        Ok(Created {
            session_id: id,
            idle_timeout: idle_timeout.as_secs_f64(),
            max_lifetime: self.limits.max_lifetime.as_secs_f64(),
        })
    }
    /// The session `id` of `caller`, in use until the guard is dropped.
    ///
    /// # Errors
    /// 404 for an unknown id, another caller's session, or an ended one
    /// (saying why it ended).
    pub fn get(&self, id: &str, caller: &Caller) -> Result<InUse, ApiFailure> {
        let open = self.lock();
        match open.by_id.get(id) {
            Some(entry) if &entry.owner == caller => {
                entry.busy.fetch_add(1, Ordering::SeqCst);
                Ok(InUse(entry.clone()))
            }
            _ => Err(
                match open.ended.iter().rev().find(|(ended, _)| ended == id) {
                    Some((_, why)) => ApiFailure::new(
                        Code::NotFound,
                        format!("session `{}` has ended: {why}", shown(id)),
                    ),
                    None => ApiFailure::new(
                        Code::NotFound,
                        format!(
                            "no session `{}` here: it never existed, expired, or belongs to another \
                         caller or server",
                            shown(id)
                        ),
                    ),
                },
            ),
        }
    }

    /// `caller`'s sessions.
    pub fn list(&self, caller: &Caller) -> Vec<SessionInfo> {
        let open = self.lock();
        let mut listed: Vec<SessionInfo> = open
            .by_id
            .values()
            .filter(|e| &e.owner == caller)
            .map(|e| SessionInfo {
                session_id: e.id.clone(),
                created_at: e
                    .created_at
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64()),
                idle_timeout: e.idle_timeout.as_secs_f64(),
                idle_for: seconds_since(
                    *e.last_used
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                ),
                expires_in: self
                    .limits
                    .max_lifetime
                    .saturating_sub(e.created.elapsed())
                    .as_secs_f64(),
            })
            .collect();
        listed.sort_by(|a, b| a.created_at.total_cmp(&b.created_at));
        listed
    }

    /// Ends session `id` of `caller`, waiting until its sandbox is gone.
    ///
    /// # Errors
    /// 404 as [`Sessions::get`].
    pub async fn close(
        &self,
        metrics: &Metrics,
        id: &str,
        caller: &Caller,
    ) -> Result<(), ApiFailure> {
        drop(self.get(id, caller)?);
        let entry = self.take(metrics, id, "it was closed");
        if let Some(entry) = entry {
            metrics.sessions().closed.inc();
            end(entry).await;
        }
        Ok(())
    }

    /// Notes that session `id` ended by itself (its program), if `err` says
    /// so, and takes it away.
    pub fn ended_by(&self, metrics: &Metrics, id: &str, err: &SandboxError) {
        if let SandboxError::SessionEnded { reason } = err
            && self.take(metrics, id, reason).is_some()
        {
            metrics.sessions().killed.inc();
        }
    }

    /// Notes that session `id` ended during a run (its result says so).
    pub fn ended_in_run(&self, metrics: &Metrics, id: &str, why: &str) {
        if self.take(metrics, id, why).is_some() {
            metrics.sessions().killed.inc();
        }
    }

    fn take(&self, metrics: &Metrics, id: &str, why: &str) -> Option<Arc<Entry>> {
        let mut open = self.lock();
        let entry = open.by_id.remove(id)?;
        open.remember(id.to_owned(), why.to_owned());
        metrics
            .sessions()
            .open
            .set(i64::try_from(open.by_id.len()).unwrap_or(i64::MAX));
        Some(entry)
    }

    /// Ends the sessions idle past their idle timeout or past the maximum
    /// lifetime (never one with a call in progress, unless past its
    /// lifetime); how many.
    pub async fn sweep(&self, metrics: &Metrics) -> usize {
        let now = Instant::now();
        let due: Vec<(String, String)> = {
            let open = self.lock();
            open.by_id
                .values()
                .filter_map(|e| {
                    let idle = now.duration_since(
                        *e.last_used
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner),
                    );
                    if now.duration_since(e.created) >= self.limits.max_lifetime {
                        Some((
                            e.id.clone(),
                            format!(
                                "it reached the maximum lifetime of {} s",
                                self.limits.max_lifetime.as_secs()
                            ),
                        ))
                    } else if e.busy.load(Ordering::SeqCst) == 0 && idle >= e.idle_timeout {
                        Some((
                            e.id.clone(),
                            format!(
                                "it was idle for {} s, its idle timeout",
                                e.idle_timeout.as_secs()
                            ),
                        ))
                    } else {
                        None
                    }
                })
                .collect()
        };
        let mut ended = 0;
        for (id, why) in due {
            if let Some(entry) = self.take(metrics, &id, &why) {
                tracing::info!(session = %id, %why, "session expired");
                metrics.sessions().expired.inc();
                end(entry).await;
                ended += 1;
            }
        }
        ended
    }

    /// Ends every session (the server's shutdown).
    pub async fn close_all(&self, metrics: &Metrics) {
        let ids: Vec<String> = self.lock().by_id.keys().cloned().collect();
        for id in ids {
            if let Some(entry) = self.take(metrics, &id, "the server shut down") {
                metrics.sessions().closed.inc();
                end(entry).await;
            }
        }
    }
}

/// Closes the session now, a call in progress on it too (its run is
/// killed, and its answer says the session was ended).
async fn end(entry: Arc<Entry>) {
    let _ = entry.session.clone().close().await;
}

/// An id as it may be shown in a message: at most 64 plain characters.
fn shown(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}

/// A session error as the API answers it.
pub fn failure(request_id: &str, err: SandboxError) -> ApiFailure {
    match err {
        SandboxError::InvalidRequest(err) => ApiFailure::invalid(err.to_string()),
        SandboxError::SessionEnded { reason } => {
            ApiFailure::new(Code::NotFound, format!("the session has ended: {reason}"))
        }
        err @ SandboxError::Unsupported { .. } => {
            tracing::error!(error = %err, "cannot make a session on this host");
            ApiFailure::new(
                Code::Unavailable,
                format!(
                    "this server cannot run sessions now (its sandbox is unavailable); request \
                     id `{request_id}`"
                ),
            )
            .retry_after(30)
        }
        err => {
            tracing::error!(error = %err, "session call failed inside the server");
            ApiFailure::internal(request_id)
        }
    }
}
