//! Where a diagnostic points, for syntax errors and policy violations
//! alike: a bounded excerpt of the offending line with a caret, and the
//! linter-style rendering `sandbox check` and refused runs print.
//!
//! A diagnostic keeps only an excerpt, never the whole line: one line of
//! submitted code can be megabytes long, and a program can break a rule
//! thousands of times on it.

use std::fmt::Write as _;

use ruff_source_file::LineIndex;
use ruff_text_size::TextSize;

/// Most characters of the offending line an excerpt keeps.
pub const EXCERPT_CHARS: usize = 120;

/// Characters kept before the caret when a line is cut.
const CONTEXT_BEFORE: usize = 40;

/// Marks text cut from either end of an excerpt.
const CUT: char = '…';

/// A window of the offending line and the caret's place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The line (without its line break), or up to [`EXCERPT_CHARS`] of
    /// it around the caret, with `…` where it was cut.
    pub text: String,
    /// 0-based character index of the caret in `text`.
    pub caret: u32,
    /// Characters the caret underlines (at least 1, within `text`).
    pub width: u32,
}

impl Excerpt {
    /// The excerpt of `line` for a caret at 1-based character `column`,
    /// `width` characters wide.
    pub fn new(line: &str, column: u32, width: u32) -> Self {
        let line = line.trim_end_matches('\r');
        let column = column.saturating_sub(1) as usize;
        let total = line.chars().take(EXCERPT_CHARS + 1).count();
        if total <= EXCERPT_CHARS {
            return Self {
                text: line.to_owned(),
                caret: column.min(total) as u32,
                width: width.clamp(1, (total.saturating_sub(column)).max(1) as u32),
            };
        }
        let start = column.saturating_sub(CONTEXT_BEFORE);
        let mut text = String::new();
        if start > 0 {
            text.push(CUT);
        }
        let kept: String = line.chars().skip(start).take(EXCERPT_CHARS).collect();
        let kept_len = kept.chars().count();
        text.push_str(&kept);
        let cut_end = line.chars().nth(start + kept_len).is_some();
        if cut_end {
            text.push(CUT);
        }
        let caret = (column - start + usize::from(start > 0)).min(text.chars().count());
        let room = (start + kept_len).saturating_sub(column).max(1);
        Self {
            text,
            caret: caret as u32,
            width: width.clamp(1, room as u32),
        }
    }
}

/// Appends one diagnostic in linter style: `file:line:column: rule
/// message`, then the excerpt with a caret under the offending code.
pub(crate) fn render_one(
    out: &mut String,
    file: &str,
    (line, column): (u32, u32),
    rule: &str,
    message: &str,
    excerpt: &Excerpt,
) {
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let _ = writeln!(out, "{file}:{line}:{column}: {rule} {message}");
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{number} | {}", excerpt.text);
    let caret_at = excerpt
        .text
        .chars()
        .take(excerpt.caret as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect::<String>();
    let _ = writeln!(
        out,
        "{pad} | {caret_at}{}",
        "^".repeat(excerpt.width as usize)
    );
    let _ = writeln!(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_kept_whole() {
        let excerpt = Excerpt::new("x = eval('1')", 5, 4);
        assert_eq!(excerpt.text, "x = eval('1')");
        assert_eq!((excerpt.caret, excerpt.width), (4, 4));
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("{}eval(1){}", "a".repeat(10_000), "b".repeat(10_000));
        let excerpt = Excerpt::new(&line, 10_001, 4);
        assert!(excerpt.text.chars().count() <= EXCERPT_CHARS + 2);
        assert!(excerpt.text.starts_with('…') && excerpt.text.ends_with('…'));
        let at: String = excerpt
            .text
            .chars()
            .skip(excerpt.caret as usize)
            .take(4)
            .collect();
        assert_eq!(at, "eval");

        let start = Excerpt::new(&line, 1, 1);
        assert!(start.text.starts_with('a') && start.text.ends_with('…'));
        assert_eq!(start.caret, 0);
        let end = Excerpt::new(&line, 20_007, 1);
        assert!(end.text.starts_with('…') && end.text.ends_with('b'));
        assert_eq!(end.text.chars().nth(end.caret as usize), Some('b'));
    }

    #[test]
    fn carets_and_widths_stay_inside_the_text() {
        for (line, column, width) in [("", 1, 1), ("ab", 9, 9), ("é€", 2, 50), ("x\r", 1, 3)] {
            let excerpt = Excerpt::new(line, column, width);
            let len = excerpt.text.chars().count() as u32;
            assert!(excerpt.caret <= len, "{line:?}");
            assert!(excerpt.width >= 1);
            assert!(
                excerpt.caret + excerpt.width <= len.max(1) + 1,
                "{line:?} {excerpt:?}"
            );
        }
    }
}

/// Where bytes `start..end` of `source` are, as people count: the 1-based
/// line and 1-based column in characters (ruff's [`LineIndex`], so `\n`,
/// `\r\n` and a lone `\r` end lines as Python's tokenizer counts them,
/// and a byte order mark is no column), the line's text without its
/// ending, and how many characters of the range lie on that line (at
/// least 1). Offsets past the end or inside a character are pulled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position<'a> {
    pub line: u32,
    pub column: u32,
    pub text: &'a str,
    pub width: u32,
}

impl<'a> Position<'a> {
    pub(crate) fn of(index: &LineIndex, source: &'a str, start: usize, end: usize) -> Self {
        let start = char_boundary(source, start);
        let end = char_boundary(source, end.max(start));
        // Sources are capped far below 4 GiB, the most a `TextSize` holds.
        let at = TextSize::try_from(start).unwrap_or_default();
        let place = index.line_column(at, source);
        let line_start = usize::from(index.line_start(place.line, source));
        let line_end = usize::from(index.line_end(place.line, source));
        let text = source[line_start..line_end].trim_end_matches(['\n', '\r']);
        let text_end = line_start + text.len();
        let width = source[start..end.min(text_end).max(start)]
            .chars()
            .count()
            .max(1);
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            line: clamp(place.line.get()),
            column: clamp(place.column.get()),
            text,
            width: clamp(width),
        }
    }
}

/// `offset`, or the nearest character boundary before it, within `source`.
fn char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod position_tests {
    use super::*;

    fn at(source: &str, start: usize, end: usize) -> (u32, u32, &str, u32) {
        let p = Position::of(&LineIndex::from_source_text(source), source, start, end);
        (p.line, p.column, p.text, p.width)
    }

    #[test]
    fn lines_and_columns_as_python_counts_them() {
        let code = "a = 1\nimport os\n";
        let os = code.find("os").unwrap();
        assert_eq!(at(code, os, os + 2), (2, 8, "import os", 2));
        // A lone carriage return ends a line for Python's tokenizer too.
        assert_eq!(at("x = 1\ry = 2", 6, 7), (2, 1, "y = 2", 1));
        assert_eq!(at("x = 1\r\ny = 2", 7, 8), (2, 1, "y = 2", 1));
        // Columns count characters, not bytes; a BOM is no column.
        let accented = "é = os";
        assert_eq!(at(accented, 5, 7).1, 5);
        assert_eq!(
            at("\u{feff}import os", 3, 9),
            (1, 1, "\u{feff}import os", 6)
        );
    }

    #[test]
    fn odd_offsets_are_pulled_back_not_panicked_on() {
        assert_eq!(at("é", 1, 2).1, 1);
        assert_eq!(at("abc", 10, 20), (1, 4, "abc", 1));
        assert_eq!(at("", 0, 0), (1, 1, "", 1));
        assert_eq!(at("ab\n", 3, 3), (2, 1, "", 1));
    }
}
