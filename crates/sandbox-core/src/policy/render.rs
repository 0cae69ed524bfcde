//! Linter-style rendering of diagnostics: location, rule, message, the line
//! with a caret under the offending code. Used for `sandbox check` and for
//! the `stderr` of a refused run, where people and models read it.

use std::fmt::Write as _;

use super::Diagnostic;

/// Renders `diagnostics`; `main_label` names the main code (for example
/// `main.py` or the path given to `sandbox check`), input files are named
/// by their own names. Ends with a count line.
pub fn render_diagnostics(main_label: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let file = d.file.as_deref().unwrap_or(main_label);
        render_one(
            &mut out,
            file,
            d.line,
            d.column,
            d.width,
            d.rule.code(),
            &d.message,
            &d.source_line,
        );
    }
    let n = diagnostics.len();
    let _ = writeln!(
        out,
        "Found {n} policy violation{}.",
        if n == 1 { "" } else { "s" }
    );
    out
}

/// One diagnostic (also used for syntax errors).
#[allow(clippy::too_many_arguments)]
pub(crate) fn render_one(
    out: &mut String,
    file: &str,
    line: u32,
    column: u32,
    width: u32,
    rule: &str,
    message: &str,
    source_line: &str,
) {
    let number = line.to_string();
    let pad = " ".repeat(number.len());
    let _ = writeln!(out, "{file}:{line}:{column}: {rule} {message}");
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{number} | {source_line}");
    let caret_at = source_line
        .chars()
        .take(column.saturating_sub(1) as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect::<String>();
    let _ = writeln!(
        out,
        "{pad} | {caret_at}{}",
        "^".repeat(width.max(1) as usize)
    );
    let _ = writeln!(out);
}
