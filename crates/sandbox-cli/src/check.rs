//! `sandbox check`: find what would stop the code before running it (a
//! syntax error, policy violations), and print it the way a linter does.

use std::io::Write as _;
use std::path::Path;

use anyhow::Result;
use sandbox_client::{ClientConfig, ExecutionRequest, SandboxError};
use sandbox_core::policy::{self, Rejection};

use crate::cli::{CheckArgs, PolicyArgs};
use crate::run::{parse_policy, read_code, read_inputs};

pub(crate) fn run(args: CheckArgs) -> Result<u8> {
    let config = config(&args.policy)?;
    let mode = args.policy.mode.unwrap_or(config.mode);
    let mut request = ExecutionRequest::new(read_code(&args.file)?);
    request.input_files = read_inputs(&args.inputs)?;
    let name = if args.file == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        args.file.display().to_string()
    };
    let mut out = std::io::stdout().lock();
    let policy = config.policy_for(mode);
    let outcome = policy::validate_request(&request, policy).map_err(|rejection| match policy {
        Some(policy) if sandbox_client::names_alternatives(&rejection) => {
            sandbox_client::explained(&request, policy, config.python.as_deref())
                .unwrap_or(rejection)
        }
        _ => rejection,
    });
    match outcome {
        Ok(()) => Ok(0),
        Err(Rejection::Syntax { file, issue }) => {
            write!(
                out,
                "{}",
                issue.render_diagnostic(file.as_deref().unwrap_or(&name))
            )?;
            writeln!(out, "Found 1 syntax error.")?;
            Ok(1)
        }
        Err(Rejection::Policy(diagnostics)) => {
            write!(out, "{}", policy::render_diagnostics(&name, &diagnostics))?;
            Ok(1)
        }
    }
}

/// The configuration from the environment with `--policy` applied.
pub(crate) fn config(args: &PolicyArgs) -> Result<ClientConfig> {
    let mut config = ClientConfig::from_env().map_err(SandboxError::from)?;
    if let Some(policy) = &args.policy {
        config.policy = parse_policy(policy)?;
    }
    Ok(config)
}
