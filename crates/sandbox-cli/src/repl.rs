//! `sandbox repl`: an interactive session in the terminal, locally or on a
//! server. Each input (a line, or a block ended by an empty line) is one run
//! of one session; output passes through as it is written, and what the run
//! shows (the value of its last expression, `display()`) is printed as
//! Python's REPL prints a value. Ctrl-C interrupts the running code and
//! keeps the session; Ctrl-D ends it.

use std::io::Write as _;

use anyhow::{Context as _, Result};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use sandbox_client::{
    ClientConfig, ExecutionEvent, ExecutionRequest, MimeBundle, SandboxClient, SandboxError,
    Session, SessionOptions, Status,
};

use crate::cli::ReplArgs;

const PROMPT: &str = ">>> ";
const MORE: &str = "... ";

/// Runs the session until Ctrl-D (exit 0) or until the session ends by
/// itself (exit 1, saying why).
pub(crate) async fn run(args: ReplArgs) -> Result<u8> {
    let config = config(&args)?;
    let remote = config.server_url.clone();
    let client = SandboxClient::from_config(config.clone())?;
    let options = SessionOptions {
        timeout: Some(config.timeout),
        memory_mb: Some(config.max_memory_mb),
        allow_network: Some(config.allow_network),
        ..SessionOptions::default()
    };
    let session = client
        .create_session(options)
        .await
        .context("cannot start the session")?;
    println!(
        "Python in the sandbox ({}). Each input runs in one session: its state is kept.",
        match &remote {
            Some(url) => format!("on {url}"),
            None => "secure mode, this machine".to_owned(),
        }
    );
    println!("Ctrl-C interrupts the running code, Ctrl-D ends the session.");
    let mut editor = DefaultEditor::new().context("cannot read the terminal")?;
    let code = loop {
        let (back, input) = tokio::task::spawn_blocking(move || {
            let input = read_input(&mut editor);
            (editor, input)
        })
        .await
        .context("the terminal reader stopped")?;
        editor = back;
        let source = match input {
            Input::Code(source) => source,
            Input::Nothing => continue,
            Input::End => break 0,
        };
        match evaluate(&session, source).await {
            Ok(true) => {}
            Ok(false) => break 1,
            Err(err) => {
                eprintln!("sandbox: {err}");
                break 1;
            }
        }
    };
    let _ = session.close().await;
    Ok(code)
}

/// The configuration from the environment with the options applied.
fn config(args: &ReplArgs) -> Result<ClientConfig> {
    let mut config = crate::run::client_config(
        args.remote.as_deref(),
        args.api_key.as_deref(),
        args.exec.local_only().into_iter(),
    )?;
    args.exec.apply(&mut config, None)?;
    config.validate()?;
    Ok(config)
}

/// What the user typed.
enum Input {
    /// Code to run.
    Code(String),
    /// An empty line, or a Ctrl-C at the prompt.
    Nothing,
    /// Ctrl-D (or the end of input).
    End,
}

/// Reads one input: a line, or lines until the code is complete (open
/// brackets and strings closed, and a block ended by an empty line).
fn read_input(editor: &mut DefaultEditor) -> Input {
    let mut source = String::new();
    loop {
        let prompt = if source.is_empty() { PROMPT } else { MORE };
        match editor.readline(prompt) {
            Ok(line) => {
                if source.is_empty() && line.trim().is_empty() {
                    return Input::Nothing;
                }
                let blank = line.trim().is_empty();
                source.push_str(&line);
                source.push('\n');
                if !needs_more(&source, blank) {
                    let _ = editor.add_history_entry(source.trim_end());
                    return Input::Code(source);
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("KeyboardInterrupt");
                return Input::Nothing;
            }
            Err(_) => {
                if source.is_empty() {
                    println!();
                    return Input::End;
                }
                return Input::Code(source);
            }
        }
    }
}

/// Whether `source` (ending with the line just read, `blank` when that
/// line was empty) needs more lines, as Python's REPL decides: inside
/// brackets, a string or after a `\`; in a block (a line ending with `:`)
/// until an empty line.
pub(crate) fn needs_more(source: &str, blank: bool) -> bool {
    let state = scan(source);
    if state.depth > 0 || state.in_string || state.continued {
        return true;
    }
    let block = source
        .lines()
        .any(|line| strip_comment(line).trim_end().ends_with(':'));
    block && !blank
}

/// What is open at the end of some source.
#[derive(Debug, Default)]
struct Open {
    depth: usize,
    in_string: bool,
    continued: bool,
}

/// Scans for open brackets and strings, skipping comments.
fn scan(source: &str) -> Open {
    let mut open = Open::default();
    let chars: Vec<char> = source.chars().collect();
    let mut quote: Option<(char, bool)> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some((q, triple)) => {
                if c == '\\' {
                    i += 2;
                    continue;
                }
                if triple && chars[i..].starts_with(&[q, q, q]) {
                    quote = None;
                    i += 3;
                    continue;
                }
                if !triple && (c == q || c == '\n') {
                    quote = None;
                }
            }
            None => match c {
                '#' => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                '\'' | '"' => {
                    let triple = chars[i..].starts_with(&[c, c, c]);
                    quote = Some((c, triple));
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                '(' | '[' | '{' => open.depth += 1,
                ')' | ']' | '}' => open.depth = open.depth.saturating_sub(1),
                _ => {}
            },
        }
        i += 1;
    }
    open.in_string = matches!(quote, Some((_, true)));
    open.continued = source.trim_end_matches('\n').ends_with('\\');
    open
}

fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(at) if !line[..at].contains(['\'', '"']) => &line[..at],
        _ => line,
    }
}

/// Runs `source` in the session, passing its output through; Ctrl-C
/// interrupts it. `false` when the session is over.
async fn evaluate(session: &Session, source: String) -> Result<bool> {
    let mut stream = session.run_stream(ExecutionRequest::new(source));
    let mut interrupting = false;
    loop {
        let event = tokio::select! {
            event = stream.next() => event,
            _ = tokio::signal::ctrl_c(), if !interrupting => {
                interrupting = true;
                session.interrupt().await?;
                continue;
            }
        };
        match event {
            Some(Ok(ExecutionEvent::Stdout { text })) => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
            Some(Ok(ExecutionEvent::Stderr { text })) => {
                let mut err = std::io::stderr().lock();
                err.write_all(text.as_bytes())?;
                err.flush()?;
            }
            Some(Ok(ExecutionEvent::Display { data })) => show(&data),
            Some(Ok(ExecutionEvent::Result(result))) => {
                if !matches!(result.status, Status::Ok | Status::Error)
                    && let Some(message) = &result.message
                {
                    eprintln!("sandbox: {}: {message}", result.status);
                }
                let over = result.message.as_deref().is_some_and(|m| {
                    m.contains("the session was ended") || m.contains("the session is over")
                });
                return Ok(!over);
            }
            Some(Ok(_)) => {}
            Some(Err(SandboxError::SessionEnded { reason })) => {
                eprintln!("sandbox: the session has ended: {reason}");
                return Ok(false);
            }
            Some(Err(err)) => return Err(err.into()),
            None => return Ok(true),
        }
    }
}

/// Prints what the code showed: its text (as Python's REPL prints a
/// value), or a line naming an image, which a terminal cannot show.
fn show(data: &MimeBundle) {
    let images: Vec<(&str, usize)> = data
        .images()
        .map(|(mime, bytes)| (mime, bytes.len()))
        .collect();
    match (images.first(), data.plain()) {
        (Some((mime, size)), plain) => println!(
            "[{mime}, {size} bytes{}]",
            plain.map(|p| format!(": {p}")).unwrap_or_default()
        ),
        (None, Some(text)) => println!("{text}"),
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::needs_more;

    #[test]
    fn inputs_end_where_pythons_repl_ends_them() {
        assert!(!needs_more("1 + 1\n", false));
        assert!(needs_more("def f():\n", false));
        assert!(needs_more("def f():\n    return 1\n", false));
        assert!(!needs_more("def f():\n    return 1\n\n", true));
        assert!(needs_more("x = (1,\n", false));
        assert!(!needs_more("x = (1,\n 2)\n", false));
        assert!(needs_more("s = '''a\n", false));
        assert!(!needs_more("s = '''a\nb'''\n", false));
        assert!(needs_more("x = 1 + \\\n", false));
        assert!(!needs_more("x = ':'  # a colon: here\n", false));
        assert!(!needs_more("d = {'a': '('}\n", false));
        assert!(!needs_more("print(')')\n", false));
    }
}
