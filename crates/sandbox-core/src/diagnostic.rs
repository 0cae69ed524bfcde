//! Where a diagnostic points, for syntax errors and policy violations
//! alike: a bounded excerpt of the offending line with a caret, and the
//! linter-style rendering `sandbox check` and refused runs print.
//!
//! A diagnostic keeps only an excerpt, never the whole line: one line of
//! submitted code can be megabytes long, and a program can break a rule
//! thousands of times on it.

use std::fmt::Write as _;

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
