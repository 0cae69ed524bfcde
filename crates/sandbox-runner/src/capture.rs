//! Reading a child's output stream with a byte cap, so a runaway writer
//! costs the runner at most `cap` bytes of memory.

use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;
use tokio::sync::watch;

/// The bytes read from one stream.
#[derive(Debug, Default)]
pub(crate) struct Captured {
    pub(crate) bytes: Vec<u8>,
    /// More than `cap` bytes were written; `bytes` holds the first `cap`.
    pub(crate) truncated: bool,
}

const CHUNK: usize = 64 * 1024;

/// Reads `pipe` until end of file, the cap, or `stop`.
///
/// Past the cap it calls `on_overflow` once (the runner stops the program
/// there) and returns; it never buffers more than `cap` bytes. `stop` ends
/// the read early: it is raised a short grace after the program exits, in
/// case a process that escaped the kill still holds the pipe open, and it
/// closes when the execution is abandoned.
pub(crate) async fn capture(
    mut pipe: pipe::Receiver,
    cap: usize,
    mut stop: watch::Receiver<bool>,
    on_overflow: impl FnOnce(),
) -> Captured {
    let mut out = Captured::default();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        tokio::select! {
            read = pipe.read(&mut chunk) => match read {
                Ok(0) => break,
                Ok(n) => {
                    let room = cap - out.bytes.len();
                    if n > room {
                        out.bytes.extend_from_slice(&chunk[..room]);
                        out.truncated = true;
                        on_overflow();
                        break;
                    }
                    out.bytes.extend_from_slice(&chunk[..n]);
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
