//! `sandbox run`: read the code and inputs, run, render, save outputs.

use std::fs;
use std::io::{Read as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use sandbox_client::{
    ClientConfig, ExecutionEvent, ExecutionRequest, ExecutionResult, SandboxClient, SandboxError,
};
use sandbox_core::files::validate_file_name;
use sandbox_core::limits::MAX_INPUT_BYTES;

use crate::cli::RunArgs;
use crate::exit::{self, UsageError};

/// Runs the command and returns the process exit code.
pub(crate) async fn run(args: RunArgs) -> Result<u8> {
    let mut config = client_config(
        args.remote.as_deref(),
        args.api_key.as_deref(),
        args.exec.local_only().into_iter().chain([
            ("--max-output-bytes", args.max_output_bytes.is_some()),
            ("--max-result-bytes", args.max_result_bytes.is_some()),
        ]),
    )?;
    if let Some(bytes) = args.max_output_bytes {
        config.max_output_bytes = bytes;
    }
    if let Some(bytes) = args.max_result_bytes {
        config.max_result_bytes = Some(bytes);
    }
    let mut request = build_request(&args)?;
    args.exec.apply(&mut config, Some(&mut request))?;
    let client = SandboxClient::from_config(config)?;

    let result = if args.json {
        client.execute_request(request).await?
    } else {
        // Output goes through as the program writes it; the result's text
        // is what went through (the stream guarantees it).
        let stream_json = args.stream_json;
        let mut failed = None;
        let result = client
            .execute_stream(request)
            .finish(|event| {
                if failed.is_none()
                    && let Err(err) = pass_through(&event, stream_json)
                {
                    failed = Some(err);
                }
            })
            .await?;
        if let Some(err) = failed {
            return Err(err.into());
        }
        result
    };

    if let Some(dir) = &args.output_dir {
        save_outputs(dir, &result)?;
        save_images(dir, &result)?;
    }
    if args.json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &result)?;
        writeln!(stdout)?;
    } else if args.stream_json {
        print_event(&ExecutionEvent::Result(Box::new(result.clone())))?;
    } else {
        // A level chosen on purpose needs no reminder of what it leaves out
        // on every run; the JSON result keeps the note.
        let chosen = args.exec.isolation.is_some()
            || std::env::var_os(sandbox_core::vars::ISOLATION).is_some();
        render(&result, args.output_dir.is_some(), chosen)?;
        let mut stderr = std::io::stderr().lock();
        for hint in crate::hints::for_result(&args.file, &args.inputs, &result) {
            writeln!(stderr, "sandbox: hint: {hint}")?;
        }
    }
    Ok(exit::for_result(&result))
}

/// The client configuration of a one-process command (`run`, `repl`): the
/// environment's, without a pool (one process, one sandbox: a pool would
/// prepare sandboxes only to throw them away), aimed at `--remote` with
/// `--api-key` when given. `local_only` names the flags given that shape a
/// local run only: with `--remote` they are refused rather than silently
/// ignored.
pub(crate) fn client_config<'a>(
    remote: Option<&str>,
    api_key: Option<&str>,
    mut local_only: impl Iterator<Item = (&'a str, bool)>,
) -> Result<ClientConfig> {
    let mut config = ClientConfig::from_env().map_err(SandboxError::from)?;
    config.pool_size = 0;
    if let Some(url) = remote {
        if !sandbox_core::config::is_server_url(url) {
            return Err(UsageError(format!(
                "--remote `{url}` is not {} (for example http://localhost:8000)",
                sandbox_core::config::SERVER_URL_EXPECTED
            ))
            .into());
        }
        config.server_url = Some(url.trim_end_matches('/').to_owned());
    }
    if let Some(key) = api_key {
        config.api_key = Some(key.to_owned());
    }
    if config.server_url.is_some()
        && let Some((flag, _)) = local_only.find(|(_, given)| *given)
    {
        return Err(UsageError(format!(
            "{flag} applies to local runs only; the server's own setting is used remotely"
        ))
        .into());
    }
    Ok(config)
}

/// Writes one output event as it arrives: its text to the same stream of
/// this process, or (`--stream-json`) the event as one JSON line.
fn pass_through(event: &ExecutionEvent, stream_json: bool) -> std::io::Result<()> {
    if stream_json {
        return print_event(event);
    }
    match event {
        ExecutionEvent::Stdout { text } => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()
        }
        ExecutionEvent::Stderr { text } => {
            let mut stderr = std::io::stderr().lock();
            stderr.write_all(text.as_bytes())?;
            stderr.flush()
        }
        _ => Ok(()),
    }
}

/// One event as a line of JSON on stdout, flushed.
fn print_event(event: &ExecutionEvent) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, event)?;
    writeln!(stdout)?;
    stdout.flush()
}

/// The code of `FILE`, or of standard input for `-`.
pub(crate) fn read_code(file: &Path) -> Result<String> {
    if file == Path::new("-") {
        let mut code = String::new();
        std::io::stdin()
            .read_to_string(&mut code)
            .context("cannot read the code from standard input (is it UTF-8?)")?;
        Ok(code)
    } else {
        Ok(fs::read_to_string(file)
            .map_err(|err| UsageError(format!("cannot read `{}`: {err}", file.display())))?)
    }
}

fn build_request(args: &RunArgs) -> Result<ExecutionRequest> {
    let code = read_code(&args.file)?;
    let mut request = ExecutionRequest::new(code);
    // Tracebacks and diagnostics name the user's file, not the sandbox's.
    request.filename = args
        .file
        .file_name()
        .and_then(|name| name.to_str())
        .filter(|name| sandbox_core::files::is_code_name(name))
        .map(str::to_owned);
    request.input_files = read_inputs(&args.inputs)?;
    Ok(request)
}

/// A `--timeout` value: a positive number of seconds, at most the
/// contract's maximum.
pub(crate) fn parse_timeout(secs: f64) -> Result<Duration> {
    let max = sandbox_core::limits::MAX_TIMEOUT;
    Ok(
        sandbox_core::seconds::from_f64(secs, Some(max)).map_err(|_| {
            UsageError(format!(
                "--timeout {} must be a positive number of seconds, at most {}",
                sandbox_core::seconds::shown(secs),
                max.as_secs()
            ))
        })?,
    )
}

/// A `--policy` value, its errors as usage errors.
pub(crate) fn parse_policy(value: &str) -> Result<sandbox_core::config::PolicyChoice> {
    sandbox_core::config::parse_policy(value)
        .map_err(|err| UsageError(format!("--policy: {err}")).into())
}

/// The `--input` specs read into a map of names to contents.
pub(crate) fn read_inputs(specs: &[String]) -> Result<std::collections::BTreeMap<String, Vec<u8>>> {
    let mut files = std::collections::BTreeMap::new();
    for spec in specs {
        let (name, path) = parse_input(spec)?;
        if files.contains_key(&name) {
            return Err(UsageError(format!("--input `{name}` is given twice")).into());
        }
        let contents = read_input(&path)?;
        files.insert(name, contents);
    }
    Ok(files)
}

/// `NAME=PATH` or `PATH` (named after its last component).
pub(crate) fn parse_input(spec: &str) -> Result<(String, PathBuf)> {
    let (name, path) = match spec.split_once('=') {
        Some((name, path)) => (name.to_owned(), PathBuf::from(path)),
        None => {
            let path = PathBuf::from(spec);
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| {
                    UsageError(format!(
                        "--input `{spec}` has no usable file name; use NAME=PATH"
                    ))
                })?
                .to_owned();
            (name, path)
        }
    };
    validate_file_name(&name).map_err(|err| UsageError(format!("--input `{spec}`: {err}")))?;
    Ok((name, path))
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    let unreadable =
        |err: std::io::Error| UsageError(format!("cannot read input `{}`: {err}", path.display()));
    let meta = fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(UsageError(format!("input `{}` is not a regular file", path.display())).into());
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(UsageError(format!(
            "input `{}` is {} bytes, more than the {MAX_INPUT_BYTES}-byte limit",
            path.display(),
            meta.len()
        ))
        .into());
    }
    Ok(fs::read(path).map_err(unreadable)?)
}

/// Explains anything unusual about a run whose output went through, in one
/// `sandbox:` line each on stderr.
fn render(result: &ExecutionResult, saved_outputs: bool, chosen_isolation: bool) -> Result<()> {
    let mut stderr = std::io::stderr().lock();
    if result.stdout_truncated {
        writeln!(stderr, "sandbox: stdout was truncated at the output cap")?;
    }
    if result.stderr_truncated {
        writeln!(stderr, "sandbox: stderr was truncated at the output cap")?;
    }
    if let Some(message) = &result.message {
        let notes: Vec<&str> = message
            .split(". ")
            .filter(|note| !(chosen_isolation && is_isolation_note(note)))
            .collect();
        if !notes.is_empty() {
            writeln!(stderr, "sandbox: {}: {}", result.status, notes.join(". "))?;
        }
    }
    let images = result
        .display
        .iter()
        .filter(|b| image_of(b).is_some())
        .count();
    if !saved_outputs && images > 0 {
        writeln!(
            stderr,
            "sandbox: the program showed {images} image(s); pass --output-dir DIR to save them"
        )?;
    }
    if !saved_outputs && !result.output_files.is_empty() {
        writeln!(
            stderr,
            "sandbox: the program wrote {} file(s); pass --output-dir DIR to keep them",
            result.output_files.len()
        )?;
    }
    Ok(())
}

/// This process's umask, from /proc (Linux 4.7 and later); the usual 022
/// where it cannot be read.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// The note of a run at an isolation level that goes without layers.
fn is_isolation_note(note: &str) -> bool {
    note.starts_with("isolation ") && note.contains(" ran without: ")
}

/// Writes each output file under `dir`, each through a temporary file and a
/// rename, so an interrupted save never leaves a half-written file. Names are
/// validated again: they may come from a remote server.
fn save_outputs(dir: &Path, result: &ExecutionResult) -> Result<()> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output dir `{}`", dir.display()))?;
    for (name, contents) in &result.output_files {
        validate_file_name(name).context("refusing to save an output file")?;
        save_file(dir, name, contents)?;
    }
    Ok(())
}

/// Saves each image the program showed (charts, `display()` of an image)
/// under `dir` as `display-N.EXT` (N its place among the shown objects),
/// beside the output files and never over one, and names it on stderr.
fn save_images(dir: &Path, result: &ExecutionResult) -> Result<()> {
    let mut stderr = std::io::stderr().lock();
    for (n, bundle) in result.display.iter().enumerate() {
        let Some((mime, bytes, ext)) = image_of(bundle) else {
            continue;
        };
        let mut name = format!("display-{}.{ext}", n + 1);
        while result.output_files.contains_key(&name) {
            name.insert(0, '_');
        }
        let target = save_file(dir, &name, &bytes)?;
        writeln!(
            stderr,
            "sandbox: saved the {mime} of displayed object {} as {}",
            n + 1,
            target.display()
        )?;
    }
    Ok(())
}

/// The image a shown object carries, as bytes, with its file extension.
fn image_of(bundle: &sandbox_client::MimeBundle) -> Option<(&'static str, Vec<u8>, &'static str)> {
    [
        ("image/png", "png"),
        ("image/jpeg", "jpg"),
        ("image/gif", "gif"),
        ("image/webp", "webp"),
    ]
    .into_iter()
    .find_map(|(mime, ext)| Some((mime, bundle.image(mime)?, ext)))
    .or_else(|| {
        let svg = bundle.get("image/svg+xml")?;
        Some(("image/svg+xml", svg.as_bytes().to_vec(), "svg"))
    })
}

/// Writes `contents` as `dir/name` through a temporary file and a rename;
/// the path written.
fn save_file(dir: &Path, name: &str, contents: &[u8]) -> Result<PathBuf> {
    let target = dir.join(name);
    let parent = target.parent().unwrap_or(dir);
    fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(parent)
        .with_context(|| format!("cannot write into `{}`", parent.display()))?;
    temp.write_all(contents)
        .with_context(|| format!("cannot write `{}`", target.display()))?;
    // A temporary file is private (0600); a saved output is an ordinary
    // file, as the umask makes it.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()))
        .with_context(|| format!("cannot set the mode of `{}`", target.display()))?;
    temp.persist(&target)
        .with_context(|| format!("cannot save `{}`", target.display()))?;
    Ok(target)
}
