//! The size of a result as JSON, counted before it is serialized.
//!
//! The output caps count the program's bytes, but the result carries them
//! encoded: a NUL byte is six bytes of JSON (`\u0000`), a byte of invalid
//! UTF-8 becomes U+FFFD (three bytes), and files grow by a third as base64.
//! A runner charges every stream and file to one budget, the result cap
//! ([`Limits::max_result_bytes`](crate::Limits::max_result_bytes)), in these
//! encoded bytes as it collects them, so the cap bounds both the memory a run
//! holds and the bytes a server sends for it.

/// Room kept out of the result cap for everything but the streams and the
/// files: the fixed fields, `message` (a verdict, an isolation note and at
/// most five reasons of 300 characters each for left-out files) and the
/// quotes around the streams, pretty-printed or not.
pub const RESULT_RESERVE: u64 = 16 << 10;
/// JSON around one output file besides its escaped name and its base64
/// contents: four quotes, `: `, `,`, and a pretty-printer's newline and
/// indentation.
pub const FILE_ENTRY_OVERHEAD: u64 = 16;
/// The name length the default result cap allows per output file (the cap
/// counts each file's real name).
const NAME_ALLOWANCE: u64 = 256;
/// Smallest accepted result cap: the reserve and some output.
pub const MIN_RESULT_BYTES: u64 = 64 << 10;
/// Largest accepted result cap: 16 GiB.
pub const MAX_RESULT_BYTES: u64 = 16 << 30;

/// Bytes `c` takes inside a JSON string as `serde_json` writes it: `"` and
/// `\` and the short escapes (`\n`, `\t`, …) take two, other control
/// characters six (`\u0000`), anything else its UTF-8 length.
pub fn char_cost(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
        '\0'..='\u{1f}' => 6,
        _ => c.len_utf8(),
    }
}

/// Bytes `text` takes inside a JSON string, quotes excluded.
pub fn str_cost(text: &str) -> usize {
    text.chars().map(char_cost).sum()
}

/// Bytes of `serde_json::to_string(&String::from_utf8_lossy(bytes))`,
/// counted without building either string.
pub fn lossy_json_len(bytes: &[u8]) -> usize {
    2 + measure_lossy(bytes, usize::MAX).cost
}

/// Length of the standard base64 (padded) of `len` bytes.
pub fn base64_len(len: u64) -> u64 {
    len.div_ceil(3).saturating_mul(4)
}

/// What one output file adds to a result: its entry in `output_files`.
pub fn file_entry_cost(name: &str, len: u64) -> u64 {
    (str_cost(name) as u64)
        .saturating_add(base64_len(len))
        .saturating_add(FILE_ENTRY_OVERHEAD)
}

/// The most bytes a file named `name` may hold for its entry to cost at
/// most `room` (0 when not even an empty file fits).
pub fn file_bytes_within(name: &str, room: u64) -> u64 {
    let fixed = file_entry_cost(name, 0);
    room.checked_sub(fixed).map_or(0, |left| left / 4 * 3)
}

/// The result cap when none is set: what the other caps allow of ordinary
/// output, so they stay the ones that bind for it. Text is at most two
/// bytes of JSON a byte (a newline is `\n`, a quote `\"`) in each of the
/// two streams, files a third more as base64, plus the reserve. Output that
/// escapes to more (NUL and other control bytes, invalid UTF-8) meets this
/// cap before the stream caps.
pub fn default_max_result_bytes(
    max_output_bytes: usize,
    max_output_files: usize,
    max_output_files_bytes: u64,
) -> u64 {
    let streams = (max_output_bytes as u64).saturating_mul(4);
    let entries = (max_output_files as u64).saturating_mul(FILE_ENTRY_OVERHEAD + NAME_ALLOWANCE);
    RESULT_RESERVE
        .saturating_add(streams)
        .saturating_add(base64_len(max_output_files_bytes))
        .saturating_add(entries)
        .clamp(MIN_RESULT_BYTES, MAX_RESULT_BYTES)
}

/// A prefix of a byte string and what its lossy text costs in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Bytes of the prefix.
    pub len: usize,
    /// Escaped bytes of its lossy text, quotes excluded.
    pub cost: usize,
    /// Trailing bytes of the prefix that start a character the input ends
    /// before completing (replaced by one U+FFFD if nothing follows);
    /// counted in `len` and, as three bytes, in `cost`.
    pub tail: usize,
}

/// The longest prefix of `bytes`, ending between the units that
/// `String::from_utf8_lossy` decodes (a character, or an invalid sequence
/// it replaces with U+FFFD), whose lossy text costs at most `allowed` bytes
/// of JSON, quotes excluded.
pub fn measure_lossy(bytes: &[u8], allowed: usize) -> Measure {
    let mut m = Measure {
        len: 0,
        cost: 0,
        tail: 0,
    };
    let mut rest = bytes;
    loop {
        let (valid, error) = match std::str::from_utf8(rest) {
            Ok(text) => (text, None),
            Err(err) => {
                // Safe split: `valid_up_to` is a char boundary.
                let text = std::str::from_utf8(&rest[..err.valid_up_to()]).unwrap_or_default();
                (text, Some(err))
            }
        };
        for c in valid.chars() {
            let cost = char_cost(c);
            if m.cost + cost > allowed {
                return m;
            }
            m.cost += cost;
            m.len += c.len_utf8();
        }
        let Some(err) = error else { return m };
        let replaced = REPLACEMENT_COST;
        if m.cost + replaced > allowed {
            return m;
        }
        m.cost += replaced;
        match err.error_len() {
            Some(bad) => {
                m.len += bad;
                rest = &rest[err.valid_up_to() + bad..];
            }
            None => {
                let tail = rest.len() - err.valid_up_to();
                m.len += tail;
                m.tail = tail;
                return m;
            }
        }
    }
}

/// U+FFFD in UTF-8.
const REPLACEMENT_COST: usize = 3;

/// The JSON cost of a stream's lossy text, kept up to date as the stream
/// grows, in time linear in its length.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LossyMeter {
    /// Bytes measured for good: complete units.
    settled_len: usize,
    /// Their cost.
    settled_cost: usize,
}

impl LossyMeter {
    /// The cost of all of `buffer`, which must extend the buffer of the
    /// previous call (or be cut to a length [`cut`](Self::cut) returned).
    pub fn cost(&mut self, buffer: &[u8]) -> usize {
        let m = measure_lossy(&buffer[self.settled_len..], usize::MAX);
        let total = self.settled_cost + m.cost;
        self.settle(m);
        total
    }

    /// The longest prefix of `buffer` whose lossy text costs at most
    /// `allowed`, and that cost; the meter then measures that prefix.
    pub fn cut(&mut self, buffer: &[u8], allowed: usize) -> (usize, usize) {
        let m = measure_lossy(
            &buffer[self.settled_len..],
            allowed.saturating_sub(self.settled_cost),
        );
        let total = (self.settled_len + m.len, self.settled_cost + m.cost);
        self.settle(m);
        total
    }

    fn settle(&mut self, m: Measure) {
        self.settled_len += m.len - m.tail;
        self.settled_cost += m.cost - if m.tail > 0 { REPLACEMENT_COST } else { 0 };
    }
}

/// The text of the complete units at the start of `bytes` (characters, and
/// invalid sequences as U+FFFD), as `String::from_utf8_lossy` decodes them,
/// and how many bytes that was: a character `bytes` ends in the middle of is
/// left for the next call, so text sent in pieces never breaks one.
/// Decoding a growing buffer from where the last call stopped, then the
/// rest with `String::from_utf8_lossy` at its end, gives the same text as
/// decoding it whole.
pub fn decode_complete(bytes: &[u8]) -> (String, usize) {
    let mut text = String::with_capacity(bytes.len());
    let mut used = 0;
    loop {
        let rest = &bytes[used..];
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                return (text, bytes.len());
            }
            Err(err) => {
                let (valid, _) = rest.split_at(err.valid_up_to());
                // `valid_up_to` ends valid UTF-8.
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                used += err.valid_up_to();
                match err.error_len() {
                    Some(bad) => {
                        text.push(char::REPLACEMENT_CHARACTER);
                        used += bad;
                    }
                    None => return (text, used),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn serde_len(bytes: &[u8]) -> usize {
        serde_json::to_string(&String::from_utf8_lossy(bytes))
            .unwrap()
            .len()
    }

    /// Bytes that are mostly the interesting ones: controls, quotes,
    /// backslashes, lead and continuation bytes, ASCII.
    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            any::<u8>(),
            0u8..0x20,
            Just(b'"'),
            Just(b'\\'),
            0x80u8..0xc0,
            0xc0u8..0xff,
            Just(0x7f),
        ];
        proptest::collection::vec(byte, 0..64)
    }

    proptest! {
        #[test]
        fn the_counted_size_is_what_serde_json_writes(bytes in bytes()) {
            prop_assert_eq!(lossy_json_len(&bytes), serde_len(&bytes));
        }

        #[test]
        fn valid_text_is_counted_exactly(text in any::<String>()) {
            prop_assert_eq!(str_cost(&text) + 2, serde_json::to_string(&text).unwrap().len());
        }

        #[test]
        fn a_cut_is_the_longest_prefix_within_the_allowance(
            bytes in bytes(),
            allowed in 0usize..200,
        ) {
            let m = measure_lossy(&bytes, allowed);
            prop_assert!(m.cost <= allowed);
            prop_assert_eq!(m.cost + 2, serde_len(&bytes[..m.len]));
            // The next unit (at most six bytes of JSON) would not fit.
            if m.len < bytes.len() {
                prop_assert!(m.cost + 6 > allowed);
                prop_assert!(measure_lossy(&bytes, allowed + 6).len > m.len);
            }
        }

        #[test]
        fn a_stream_measured_in_pieces_costs_what_it_costs_whole(
            bytes in bytes(),
            splits in proptest::collection::vec(0usize..64, 0..8),
        ) {
            let mut ends: Vec<usize> = splits.into_iter().map(|s| s.min(bytes.len())).collect();
            ends.push(bytes.len());
            ends.sort_unstable();
            let mut meter = LossyMeter::default();
            for end in ends {
                prop_assert_eq!(meter.cost(&bytes[..end]) + 2, serde_len(&bytes[..end]));
            }
        }

        #[test]
        fn text_decoded_in_pieces_is_the_text_decoded_whole(
            bytes in bytes(),
            splits in proptest::collection::vec(0usize..64, 0..8),
        ) {
            let mut ends: Vec<usize> = splits.into_iter().map(|s| s.min(bytes.len())).collect();
            ends.sort_unstable();
            let (mut text, mut done) = (String::new(), 0);
            for end in ends {
                let end = end.max(done);
                let (piece, used) = decode_complete(&bytes[done..end]);
                // A piece never ends inside a character it could complete.
                prop_assert!(end - done - used < 4);
                text.push_str(&piece);
                done += used;
            }
            text.push_str(&String::from_utf8_lossy(&bytes[done..]));
            prop_assert_eq!(text, String::from_utf8_lossy(&bytes).into_owned());
        }

        #[test]
        fn a_meter_cut_keeps_measuring(
            bytes in bytes(),
            first in 0usize..64,
            allowed in 0usize..200,
        ) {
            let first = first.min(bytes.len());
            let mut meter = LossyMeter::default();
            meter.cost(&bytes[..first]);
            let (len, cost) = meter.cut(&bytes, allowed);
            if cost <= allowed {
                prop_assert_eq!(cost + 2, serde_len(&bytes[..len]));
            }
            prop_assert_eq!(meter.cost(&bytes[..len]) + 2, serde_len(&bytes[..len]));
        }

        #[test]
        fn a_file_fits_the_room_it_is_sized_for(name in "[a-z\"]{1,20}", room in 0u64..10_000) {
            let len = file_bytes_within(&name, room);
            if len > 0 {
                prop_assert!(file_entry_cost(&name, len) <= room);
            }
            prop_assert!(file_entry_cost(&name, len + 3) > room);
        }
    }

    #[test]
    fn worst_cases() {
        assert_eq!(lossy_json_len(&[0; 10]), 62);
        assert_eq!(lossy_json_len(&[0xff; 10]), 32);
        assert_eq!(lossy_json_len(b"a\nb"), 6);
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(16 << 20), 22_369_624);
    }

    #[test]
    fn the_default_cap_follows_the_other_caps() {
        let cap = default_max_result_bytes(1 << 20, 100, 16 << 20);
        assert_eq!(cap, 16_384 + 4 * (1 << 20) + 22_369_624 + 100 * 272);
        assert_eq!(default_max_result_bytes(1, 0, 0), MIN_RESULT_BYTES);
        assert_eq!(
            default_max_result_bytes(usize::MAX, usize::MAX, u64::MAX),
            MAX_RESULT_BYTES
        );
    }
}
