//! `sandbox doctor`: every secure-mode layer, available or missing and why,
//! and which isolation levels can run here.

use std::io::Write as _;

use anyhow::Result;
use sandbox_client::{ClientConfig, Isolation, SandboxError, probe_isolation};

use crate::cli::DoctorArgs;

pub(crate) fn run(args: DoctorArgs) -> Result<u8> {
    let configured = match args.isolation {
        Some(level) => level,
        None => {
            ClientConfig::from_env()
                .map_err(SandboxError::from)?
                .isolation
        }
    };
    let caps = probe_isolation();
    let mut out = std::io::stdout().lock();
    writeln!(out, "Secure-mode layers on this machine:")?;
    for layer in &caps.layers {
        writeln!(out, "  {layer}")?;
    }
    writeln!(out, "\nIsolation levels:")?;
    for level in [Isolation::Full, Isolation::NoCgroups, Isolation::BestEffort] {
        let missing = caps.missing_for(level);
        let marker = if level == configured {
            " (configured)"
        } else {
            ""
        };
        if missing.is_empty() {
            writeln!(out, "  {:<12} ready{marker}", level.as_str())?;
        } else {
            let names: Vec<&str> = missing.iter().map(|l| l.name).collect();
            writeln!(
                out,
                "  {:<12} cannot run: missing {}{marker}",
                level.as_str(),
                names.join(", ")
            )?;
        }
    }
    let ready = caps.missing_for(configured).is_empty();
    if !ready {
        writeln!(
            out,
            "\nSecure mode will refuse to run at `{configured}`. Fix the missing layers, or choose a \
             weaker level explicitly with SANDBOX_ISOLATION or --isolation."
        )?;
    }
    Ok(if ready { 0 } else { 1 })
}
