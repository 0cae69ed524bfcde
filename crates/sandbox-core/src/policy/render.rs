//! Linter-style rendering of diagnostics: location, rule, message, the line
//! with a caret under the offending code. Used for `sandbox check` and for
//! the `stderr` of a refused run, where people and models read it.

use std::fmt::Write as _;

use super::Diagnostic;
use super::check::MAX_DIAGNOSTICS;
use crate::diagnostic::render_one;

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
            (d.line, d.column),
            d.rule.code(),
            &d.message,
            &d.excerpt,
        );
    }
    let n = diagnostics.len();
    let _ = if n >= MAX_DIAGNOSTICS {
        writeln!(
            out,
            "Found at least {n} policy violations; checking stopped at {MAX_DIAGNOSTICS}."
        )
    } else {
        writeln!(
            out,
            "Found {n} policy violation{}.",
            if n == 1 { "" } else { "s" }
        )
    };
    out
}
