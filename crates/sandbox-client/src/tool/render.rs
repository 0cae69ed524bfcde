//! Results as text a model reads: the output when the code worked; what went
//! wrong, and what to do about it, when it did not. Long streams are cut in
//! the middle, keeping the start (context) and the end (where tracebacks
//! name the error).

use std::fmt::Write as _;

use sandbox_core::policy::{self, Rejection};

use crate::{ExecutionResult, Status};

/// Most characters of stdout shown to the model.
pub const MAX_STDOUT_CHARS: usize = 8_000;
/// Most characters of stderr shown to the model.
pub const MAX_STDERR_CHARS: usize = 4_000;
/// Most characters of one displayed object's text shown to the model.
pub const MAX_DISPLAY_CHARS: usize = 4_000;

/// Renders `result` for a model: stdout when the code worked (with any
/// stderr and the files it wrote), else a first line saying what happened
/// and the details (traceback, policy diagnostics, the limit hit).
pub fn render_result(result: &ExecutionResult) -> String {
    let mut out = String::new();
    match result.status {
        Status::Ok => {
            if result.stdout.is_empty() && result.display.is_empty() {
                out.push_str("(no output)\n");
            } else if !result.stdout.is_empty() {
                out.push_str(&stream(
                    &result.stdout,
                    result.stdout_truncated,
                    MAX_STDOUT_CHARS,
                ));
            }
            if !result.stderr.is_empty() {
                out.push_str("\n[stderr]\n");
                out.push_str(&stream(
                    &result.stderr,
                    result.stderr_truncated,
                    MAX_STDERR_CHARS,
                ));
            }
        }
        Status::SyntaxError => {
            out.push_str("Error: syntax error; nothing ran. Fix the line shown and try again.\n");
            out.push_str(&stream(&result.stderr, false, MAX_STDERR_CHARS));
        }
        Status::PolicyViolation => {
            out.push_str(
                "Error: the sandbox policy refuses this code; nothing ran. \
                 Each problem below names the rule and what to use instead.\n",
            );
            out.push_str(&stream(&result.stderr, false, MAX_STDERR_CHARS));
        }
        _ => {
            out.push_str(&headline(result));
            out.push('\n');
            if !result.stderr.is_empty() {
                out.push_str(&stream(
                    &result.stderr,
                    result.stderr_truncated,
                    MAX_STDERR_CHARS,
                ));
            }
            if !result.stdout.is_empty() {
                out.push_str("\n[stdout before the error]\n");
                out.push_str(&stream(
                    &result.stdout,
                    result.stdout_truncated,
                    MAX_STDOUT_CHARS,
                ));
            }
        }
    }
    render_display(&mut out, result);
    if !result.output_files.is_empty() {
        let files: Vec<String> = result
            .output_files
            .iter()
            .map(|(name, bytes)| format!("{name} ({})", size(bytes.len())))
            .collect();
        let _ = write!(out, "\n[files written: {}]\n", files.join(", "));
    }
    if result.output_files_truncated
        && let Some(message) = &result.message
    {
        let _ = writeln!(out, "[note: {message}]");
    }
    out
}

/// What the run showed, in order: each object's text (markdown, else
/// plain text, else JSON), and a line for each image, which comes beside
/// the text (as an image content block over MCP).
fn render_display(out: &mut String, result: &ExecutionResult) {
    for (n, bundle) in result.display.iter().enumerate() {
        let n = n + 1;
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        let image = bundle
            .0
            .keys()
            .find(|mime| mime.starts_with("image/") && bundle.get(mime).is_some());
        let plain = bundle.plain().unwrap_or("");
        if let Some(mime) = image {
            let _ = writeln!(out, "[display {n}: {mime} image, attached] {plain}");
            continue;
        }
        let text = bundle
            .get("text/markdown")
            .map(str::to_owned)
            .or_else(|| bundle.plain().map(str::to_owned))
            .or_else(|| bundle.0.get("application/json").map(ToString::to_string))
            .or_else(|| bundle.html().map(str::to_owned))
            .unwrap_or_default();
        let _ = writeln!(out, "[display {n}]");
        out.push_str(&stream(&text, false, MAX_DISPLAY_CHARS));
    }
}

/// The first line of a failed run: what happened and what to do.
fn headline(result: &ExecutionResult) -> String {
    let detail = result.message.as_deref().unwrap_or("");
    match result.status {
        Status::Error => match result.return_code {
            Some(code) => format!("Error: the program failed (exit code {code})."),
            None => "Error: the program failed.".to_owned(),
        },
        Status::Timeout => format!(
            "Error: timeout: {detail}. Make the code faster, work on less data, or ask for a \
             longer `timeout` if the limit allows."
        ),
        Status::MemoryLimit => format!(
            "Error: memory limit: {detail}. Use less memory (stream the data, smaller \
             structures)."
        ),
        Status::OutputLimit => format!(
            "Error: output limit: {detail}. Print less (a summary, the first rows) or write \
             the data to a file."
        ),
        Status::Killed => format!("Error: the program was killed: {detail}."),
        _ => format!("Error: the sandbox could not run the code: {detail}."),
    }
}

/// Renders a policy check for a model: `OK` and what was checked, or the
/// diagnostics.
pub fn render_check(outcome: &Result<(), Rejection>, policy_known: bool) -> String {
    match outcome {
        Ok(()) if policy_known => {
            "OK: the code parses and the sandbox policy allows it.\n".to_owned()
        }
        Ok(()) => "OK: the code parses (no policy applies).\n".to_owned(),
        Err(Rejection::Syntax { file, issue }) => {
            let mut text = issue.render_diagnostic(file.as_deref().unwrap_or("main.py"));
            text.push_str("Found 1 syntax error.\n");
            text
        }
        Err(Rejection::Policy(diagnostics)) => policy::render_diagnostics("main.py", diagnostics),
    }
}

/// A stream cut to `max` characters, with a note when the sandbox already
/// cut it at its output cap.
fn stream(text: &str, capped: bool, max: usize) -> String {
    let mut out = truncate_middle(text, max);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if capped {
        out.push_str("[output cut at the sandbox's output limit]\n");
    }
    out
}

/// `text` cut to about `max` characters: the first third and the last two
/// thirds are kept, joined by a line saying how much was left out.
pub fn truncate_middle(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_owned();
    }
    let head = max / 3;
    let tail = max - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(total - tail).collect();
    format!(
        "{start}\n[... {} characters left out ...]\n{end}",
        total - head - tail
    )
}

/// `9 bytes`, `12.3 KiB`, `4.0 MiB`.
fn size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} bytes")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}
