//! HTTP/1.1 connections with the bounds a server facing the open internet
//! needs: a cap on open connections, a deadline for each request's headers,
//! an idle keep-alive timeout, answers for clients that half-close after
//! sending, and cancellation of runs whose client is gone.
//!
//! Each connection tracks where it is in its request cycle (`Phase`) and a
//! watchdog acts on it:
//! - waiting for a request's headers (from accept, or from the first byte
//!   after an idle spell) longer than the header timeout: answered `408` and
//!   closed, so a slow client cannot hold a connection;
//! - idle after a response longer than the idle timeout: closed gracefully;
//! - the client's side closed while its request runs: either it
//!   half-closed and still reads (it gets its answer), or it is gone (its
//!   run is cancelled, which kills the sandbox). A `102 Processing` interim
//!   response, which HTTP/1.1 clients skip, tells the two apart: a closed
//!   socket answers it with a reset.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt as _;

/// Default most connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default time a client has to send a request's headers.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a request's body has to arrive in full.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time an idle keep-alive connection stays open.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How often a running request whose client closed its side is probed.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// What a half-closed client is sent while its request runs.
const PROBE: &[u8] = b"HTTP/1.1 102 Processing\r\n\r\n";

/// What a client too slow with its headers is sent before the close.
const TOO_SLOW: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// The bounds on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Most connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time to send a request's headers.
    pub header_timeout: Duration,
    /// Time to send a request's body (enforced where bodies are read).
    pub body_timeout: Duration,
    /// Time an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Accepts connections on `listener` and serves `app` on each until `stop`
/// turns true; then stops accepting, closes idle connections, lets busy
/// ones send their answer, and returns when all are closed or `grace` has
/// passed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connection tasks as we go.
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of descriptors, or a connection reset before it was
                // taken: not the listener's fault; pause briefly.
                tracing::warn!(%err, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(connection(
            stream,
            remote,
            app.clone(),
            limits,
            stop.clone(),
            permit,
        ));
    }
    drop(listener);
    let all_closed = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, all_closed).await.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open after the grace period; closing them"
        );
        connections.abort_all();
    }
}

/// Serves one connection under its watchdog.
async fn connection(
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let stream = Arc::new(stream);
    let activity = Activity::new();
    let io = TokioIo::new(Tracked {
        stream: Arc::clone(&stream),
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            activity.request_started();
            let app = app.clone();
            let activity = activity.clone();
            async move {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(remote));
                let response = match app.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                activity.answering();
                Ok::<_, Infallible>(response.map(|body| {
                    Body::new(Watched {
                        inner: body,
                        activity,
                    })
                }))
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // The watchdog below keeps the header deadline (hyper's would also
        // close a connection that is merely idle).
        .header_read_timeout(None)
        .half_close(true)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut closing = false;
    let mut last_probe: Option<Instant> = None;
    loop {
        let next = activity.next_step(&limits, last_probe);
        let sleep = async {
            match next {
                Some((at, _)) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%remote, %err, "connection ended with an error");
                }
                return;
            }
            () = sleep => match next.map(|(_, step)| step) {
                Some(Step::CloseIdle) if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                Some(Step::CloseIdle) => {}
                Some(Step::TooSlow) => {
                    tracing::debug!(%remote, "request headers too slow; closing");
                    let _ = stream.try_write(TOO_SLOW);
                    return;
                }
                Some(Step::Probe) => {
                    last_probe = Some(Instant::now());
                    if !activity.probe(&stream) {
                        tracing::info!(%remote, "client gone while its request ran; cancelling it");
                        return;
                    }
                }
                None => {}
            },
            () = activity.changed() => {}
            gone = watch_peer(&stream), if activity.awaiting_answer() => {
                if gone {
                    tracing::info!(%remote, "client gone while its request ran; cancelling it");
                    return;
                }
                activity.update(|state| state.peer_closed = true);
            }
            _ = stop.wait_for(|stopped| *stopped), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Waits until the client closes its side while a request runs (hyper
/// does not read then, to allow half-closed clients): `false` for an end of
/// file (half-closed, or gone: [`Activity::probe`] tells), `true` for an
/// error (reset: gone). Data (a pipelined request, or a body still
/// arriving) is left for hyper, looking again shortly.
async fn watch_peer(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    loop {
        match stream.peek(&mut byte).await {
            Ok(0) => return false,
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(_) => return true,
        }
    }
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's headers, since the given time.
    Head(Instant),
    /// A request is being served; `answered` once its response is ready.
    Busy { answered: bool },
    /// The last response is sent; idle since the given time.
    Idle(Instant),
}

/// What the watchdog does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    TooSlow,
    CloseIdle,
    Probe,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// The client closed its side (read end of file).
    peer_closed: bool,
}

/// A connection's state, shared by its socket, its service, its response
/// bodies and its watchdog.
#[derive(Debug, Clone)]
struct Activity {
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                phase: Phase::Head(Instant::now()),
                peer_closed: false,
            })),
            changed: Arc::new(Notify::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the state is plain.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.changed.notify_one();
    }

    async fn changed(&self) {
        self.changed.notified().await;
    }

    /// `n` bytes were read (0: the client closed its side).
    fn read(&self, n: usize) {
        self.update(|state| {
            if n == 0 {
                state.peer_closed = true;
            } else if let Phase::Idle(_) = state.phase {
                state.phase = Phase::Head(Instant::now());
            }
        });
    }

    /// A request runs, its answer is not ready, and the client's side is
    /// not known to be closed.
    fn awaiting_answer(&self) -> bool {
        let state = self.lock();
        state.phase == (Phase::Busy { answered: false }) && !state.peer_closed
    }

    fn request_started(&self) {
        self.update(|state| state.phase = Phase::Busy { answered: false });
    }

    /// The response is about to be written: no more interim responses.
    fn answering(&self) {
        self.update(|state| state.phase = Phase::Busy { answered: true });
    }

    fn response_finished(&self) {
        self.update(|state| {
            if let Phase::Busy { .. } = state.phase {
                state.phase = Phase::Idle(Instant::now());
            }
        });
    }

    /// When the watchdog acts next, and how.
    fn next_step(
        &self,
        limits: &ConnectionLimits,
        last_probe: Option<Instant>,
    ) -> Option<(Instant, Step)> {
        let state = self.lock();
        match state.phase {
            Phase::Head(since) => Some((since + limits.header_timeout, Step::TooSlow)),
            Phase::Idle(since) => Some((since + limits.idle_timeout, Step::CloseIdle)),
            Phase::Busy { answered: false } if state.peer_closed => Some((
                last_probe.map_or_else(Instant::now, |at| at + PROBE_INTERVAL),
                Step::Probe,
            )),
            Phase::Busy { .. } => None,
        }
    }

    /// Sends a `102 Processing` to a client whose side is closed, unless
    /// its response has started; whether the client still seems there.
    fn probe(&self, stream: &TcpStream) -> bool {
        let state = self.lock();
        if state.phase != (Phase::Busy { answered: false }) {
            return true;
        }
        // Held across the write, so the response cannot start meanwhile.
        let written = stream.try_write(PROBE);
        drop(state);
        match written {
            Err(err) if err.kind() != io::ErrorKind::WouldBlock => false,
            _ => !matches!(stream.take_error(), Ok(Some(_)) | Err(_)),
        }
    }
}

/// The socket, reporting reads to the connection's [`Activity`].
struct Tracked {
    stream: Arc<TcpStream>,
    activity: Activity,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            ready!(self.stream.poll_read_ready(cx))?;
            match self.stream.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    self.activity.read(n);
                    return Poll::Ready(Ok(()));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write(data) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                written => return Poll::Ready(written),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write_vectored(data) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                written => return Poll::Ready(written),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result =
            socket2::SockRef::from(self.stream.as_ref()).shutdown(std::net::Shutdown::Write);
        Poll::Ready(match result {
            Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}

/// A response body that tells the connection when it is fully sent (or
/// dropped), which starts the idle timeout.
struct Watched {
    inner: Body,
    activity: Activity,
}

impl http_body::Body for Watched {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if frame.is_none() {
            self.activity.response_finished();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.activity.response_finished();
    }
}
