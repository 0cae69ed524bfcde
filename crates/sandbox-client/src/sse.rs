//! A reader of Server-Sent Events (the `text/event-stream` format), as the
//! server sends live output: `event:` and `data:` fields, events ended by a
//! blank line, comments (heartbeats) skipped. Bounded: an event larger than
//! the reader's limit is an error, never a growing buffer.

/// One event: its name (`message` when unnamed) and its data lines joined
/// by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) data: String,
}

/// Splits a byte stream into events, whatever its pieces.
#[derive(Debug)]
pub(crate) struct Reader {
    /// Bytes of the line being read.
    line: Vec<u8>,
    name: String,
    data: String,
    data_lines: usize,
    /// Bytes of the event being read, fields and line ends included.
    size: usize,
    limit: usize,
}

/// An event was larger than the reader's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLarge(pub(crate) usize);

impl Reader {
    /// A reader that refuses events of more than `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            line: Vec::new(),
            name: String::new(),
            data: String::new(),
            data_lines: 0,
            size: 0,
            limit,
        }
    }

    /// The events `bytes` completes.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Vec<Event>, TooLarge> {
        let mut events = Vec::new();
        for &byte in bytes {
            self.size += 1;
            if self.size > self.limit {
                return Err(TooLarge(self.limit));
            }
            if byte != b'\n' {
                self.line.push(byte);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.is_empty() {
                if let Some(event) = self.dispatch() {
                    events.push(event);
                }
                continue;
            }
            let line = String::from_utf8_lossy(&line);
            let (field, value) = line.split_once(':').unwrap_or((&line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => value.clone_into(&mut self.name),
                "data" => {
                    if self.data_lines > 0 {
                        self.data.push('\n');
                    }
                    self.data.push_str(value);
                    self.data_lines += 1;
                }
                // Comments (an empty field name) and `id`, `retry`.
                _ => {}
            }
        }
        Ok(events)
    }

    fn dispatch(&mut self) -> Option<Event> {
        let had_data = self.data_lines > 0;
        let name = std::mem::take(&mut self.name);
        let data = std::mem::take(&mut self.data);
        self.size = 0;
        self.data_lines = 0;
        had_data.then(|| Event {
            name: if name.is_empty() {
                "message".into()
            } else {
                name
            },
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const STREAM: &str = ": keep-alive\n\nevent: stdout\ndata: {\"text\":\"a\"}\n\n\
        event: result\r\ndata: one\r\ndata:two\r\n\r\ndata: plain\n\n";

    fn expected() -> Vec<Event> {
        let event = |name: &str, data: &str| Event {
            name: name.into(),
            data: data.into(),
        };
        vec![
            event("stdout", r#"{"text":"a"}"#),
            event("result", "one\ntwo"),
            event("message", "plain"),
        ]
    }

    #[test]
    fn events_comments_and_line_ends() {
        let mut reader = Reader::new(1024);
        assert_eq!(reader.push(STREAM.as_bytes()).unwrap(), expected());
    }

    #[test]
    fn an_event_past_the_limit_is_refused() {
        let mut reader = Reader::new(64);
        let big = format!("data: {}\n\n", "x".repeat(100));
        assert_eq!(reader.push(big.as_bytes()), Err(TooLarge(64)));
        // Small events each within the limit pass, whatever their total.
        let mut reader = Reader::new(64);
        for _ in 0..100 {
            assert_eq!(reader.push(b"data: x\n\n").unwrap().len(), 1);
        }
    }

    proptest! {
        #[test]
        fn the_events_do_not_depend_on_the_pieces(cuts in proptest::collection::vec(0usize..200, 0..10)) {
            let bytes = STREAM.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.push(bytes.len());
            cuts.sort_unstable();
            let (mut reader, mut got, mut from) = (Reader::new(1024), Vec::new(), 0);
            for cut in cuts {
                got.extend(reader.push(&bytes[from..cut]).unwrap());
                from = cut;
            }
            prop_assert_eq!(got, expected());
        }

        #[test]
        fn hostile_bytes_never_panic_or_grow_past_the_limit(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut reader = Reader::new(128);
            if let Ok(events) = reader.push(&bytes) {
                for event in events {
                    prop_assert!(event.data.len() <= 128 * 3);
                }
            }
            prop_assert!(reader.line.len() <= 128);
        }
    }
}
