//! `sandbox policy show`: the effective policy, as a file `--policy` reads.

use std::io::Write as _;

use anyhow::Result;

use crate::cli::{PolicyArgs, PolicyCommand};

pub(crate) fn run(command: PolicyCommand) -> Result<u8> {
    match command {
        PolicyCommand::Show(args) => show(&args),
    }
}

fn show(args: &PolicyArgs) -> Result<u8> {
    let config = crate::check::config(args)?;
    let mode = args.mode.unwrap_or(config.mode);
    let mut out = std::io::stdout().lock();
    match config.policy_for(mode) {
        Some(policy) => {
            writeln!(
                out,
                "# The sandbox policy in effect for {mode} mode. Save this file and pass it\n\
                 # to --policy (or SANDBOX_POLICY) to start a policy of your own."
            )?;
            write!(out, "{}", policy.to_toml())?;
        }
        None => writeln!(
            out,
            "# No policy in effect for {mode} mode: only the syntax is checked before \
             the code runs."
        )?,
    }
    Ok(0)
}
