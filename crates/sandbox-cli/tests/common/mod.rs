//! Shared by the CLI's test binaries.

use std::ffi::OsStr;
use std::process::Command;

/// `program` without this process's `SANDBOX_*` and `RUST_LOG` variables,
/// so a developer's settings cannot change what a test sees.
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SANDBOX_") {
            command.env_remove(name);
        }
    }
    command.env_remove("RUST_LOG");
    command
}
