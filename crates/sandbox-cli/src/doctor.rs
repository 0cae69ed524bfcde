//! `sandbox doctor`: every secure-mode layer, available or missing and why,
//! which isolation levels can run here, and a real secure run at the
//! configured level (the interpreter included).

use std::io::Write as _;

use anyhow::Result;
use sandbox_client::{
    ClientConfig, ExecutionMode, ExecutionRequest, Isolation, SandboxClient, SandboxError,
    probe_isolation,
};

use crate::cli::DoctorArgs;

pub(crate) async fn run(args: DoctorArgs) -> Result<u8> {
    let mut config = ClientConfig::from_env().map_err(SandboxError::from)?;
    if let Some(level) = args.isolation {
        config.isolation = level;
    }
    let configured = config.isolation;
    let caps = probe_isolation();
    let python = interpreter(config.python.as_deref()).await;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Secure-mode layers on this machine:")?;
    for layer in &caps.layers {
        writeln!(out, "  {layer}")?;
    }
    // The interpreter is a layer too: without a usable one nothing runs.
    match &python {
        Ok(found) => writeln!(out, "  {:<13} ok: {found}", "interpreter")?,
        Err(reason) => writeln!(out, "  {:<13} MISSING: {reason}", "interpreter")?,
    }
    writeln!(out, "\nIsolation levels:")?;
    for level in [Isolation::Full, Isolation::NoCgroups, Isolation::BestEffort] {
        let mut missing: Vec<&str> = caps.missing_for(level).iter().map(|l| l.name).collect();
        if python.is_err() {
            missing.push("interpreter");
        }
        let marker = if level == configured {
            " (configured)"
        } else {
            ""
        };
        if missing.is_empty() {
            writeln!(out, "  {:<12} ready{marker}", level.as_str())?;
            if let Some(gap) = level.unbounded() {
                writeln!(out, "  {:<12} (does not bound: {gap})", "")?;
            }
        } else {
            writeln!(
                out,
                "  {:<12} cannot run: missing {}{marker}",
                level.as_str(),
                missing.join(", ")
            )?;
        }
    }
    let layers_ready = caps.missing_for(configured).is_empty() && python.is_ok();
    if python.is_err() {
        writeln!(
            out,
            "\nSecure mode cannot run without a usable interpreter: set SANDBOX_PYTHON (or \
             --python) to a Python 3 installed outside {}.",
            sandbox_client::PRIVATE_PATHS.join(", ")
        )?;
    } else if !layers_ready {
        writeln!(
            out,
            "\nSecure mode will refuse to run at `{configured}`. Fix the missing layers, or choose a \
             weaker level explicitly with SANDBOX_ISOLATION or --isolation."
        )?;
    }
    // The layers can all exist while a real run still fails (a seccomp
    // profile refusing `sethostname`, a masked /proc): run one.
    drop(out);
    let trial = trial_run(config).await;
    let mut out = std::io::stdout().lock();
    match &trial {
        Ok(detail) => writeln!(out, "\nA real secure run at `{configured}`: ok ({detail})")?,
        Err(reason) => writeln!(
            out,
            "\nA real secure run at `{configured}`: FAILED: {reason}"
        )?,
    }
    Ok(if layers_ready && trial.is_ok() { 0 } else { 1 })
}

/// The interpreter secure mode would run (`requested`, else `python3` on
/// PATH): its path and version, or why it cannot be used.
async fn interpreter(requested: Option<&std::path::Path>) -> Result<String, String> {
    let found = sandbox_client::interpreter::resolve(requested)
        .await
        .map_err(|e| e.to_string())?;
    let layout = sandbox_client::interpreter::layout(requested)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((path, private)) = layout.hidden_by_sandbox() {
        return Err(format!(
            "`{}` lies under {private}, which the sandbox replaces with its own",
            path.display()
        ));
    }
    let (major, minor, patch) = found.version;
    Ok(format!(
        "{} (Python {major}.{minor}.{patch})",
        found.path.display()
    ))
}

/// Runs `print` in a secure sandbox with `config`: what ran it, or why it
/// failed.
async fn trial_run(mut config: ClientConfig) -> Result<String, String> {
    config.mode = ExecutionMode::Secure;
    config.server_url = None;
    let client = SandboxClient::from_config(config).map_err(|e| e.to_string())?;
    let request =
        ExecutionRequest::new("print('ok')").with_timeout(std::time::Duration::from_secs(20));
    match client.execute_request(request).await {
        Ok(result) if result.success && result.stdout == "ok\n" => {
            Ok(format!("{:.0} ms", result.duration_ms))
        }
        Ok(result) => Err(result
            .message
            .unwrap_or_else(|| format!("status `{}`: {}", result.status, result.stderr.trim()))),
        Err(err) => Err(err.to_string()),
    }
}
