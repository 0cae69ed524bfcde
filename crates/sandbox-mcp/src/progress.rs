//! Progress notifications for a long `run_python` call: when the client
//! asks for progress (a `progressToken` in the call's `_meta`), what the
//! program writes goes to it while it runs, as the notification's message.
//! The tool's result is the same either way.

use std::time::Duration;

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use sandbox_client::ExecutionEvent;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

/// At most one notification per interval: output in between is gathered.
const INTERVAL: Duration = Duration::from_millis(250);

/// Most characters of output one notification carries: the latest.
const MAX_MESSAGE_CHARS: usize = 4000;

/// Sends `events` to the client as progress notifications until the run
/// ends (its sender is dropped). `progress` is the characters of output so
/// far, so it grows with every notification.
pub(crate) async fn forward(
    peer: &Peer<RoleServer>,
    token: ProgressToken,
    mut events: UnboundedReceiver<ExecutionEvent>,
) {
    let mut recent = String::new();
    let mut progress: u64 = 0;
    let mut last_sent: Option<Instant> = None;
    loop {
        let due = last_sent.map_or_else(Instant::now, |at| at + INTERVAL);
        let next = if recent.is_empty() {
            Some(events.recv().await)
        } else {
            tokio::time::timeout_at(due, events.recv()).await.ok()
        };
        match next {
            Some(Some(event)) => {
                if let ExecutionEvent::Stdout { text } | ExecutionEvent::Stderr { text } = event {
                    progress += text.chars().count() as u64;
                    recent.push_str(&text);
                    keep_last_chars(&mut recent, MAX_MESSAGE_CHARS);
                }
            }
            // The run ended: what is left goes out.
            Some(None) => {
                send(peer, &token, progress, &mut recent).await;
                return;
            }
            // The interval passed with output waiting.
            None => {
                send(peer, &token, progress, &mut recent).await;
                last_sent = Some(Instant::now());
            }
        }
    }
}

async fn send(peer: &Peer<RoleServer>, token: &ProgressToken, progress: u64, recent: &mut String) {
    if recent.is_empty() {
        return;
    }
    let message = std::mem::take(recent);
    // A client that cannot take it still gets the result.
    let _ = peer
        .notify_progress(
            ProgressNotificationParam::new(token.clone(), progress as f64).with_message(message),
        )
        .await;
}

/// Drops the start of `text` so that at most `max` characters remain.
fn keep_last_chars(text: &mut String, max: usize) {
    let count = text.chars().count();
    if count > max
        && let Some((cut, _)) = text.char_indices().nth(count - max)
    {
        text.drain(..cut);
    }
}

#[cfg(test)]
mod tests {
    use super::keep_last_chars;

    #[test]
    fn the_latest_characters_are_kept_whole() {
        let mut text = "aé€😀b".to_owned();
        keep_last_chars(&mut text, 3);
        assert_eq!(text, "€😀b");
        keep_last_chars(&mut text, 10);
        assert_eq!(text, "€😀b");
    }
}
