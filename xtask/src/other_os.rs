//! `cargo xtask check-macos`, also the last step of `lint`: clippy for
//! `x86_64-apple-darwin`, so the workspace keeps building where secure mode
//! does not exist (there it must answer "unsupported" while simple mode
//! works). Nothing is linked, so no macOS toolchain is needed: the few C
//! and assembly files of dependencies are replaced by empty objects.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

const TARGET: &str = "x86_64-apple-darwin";

/// Runs the check; `required` makes a missing target an error rather than
/// a loud warning (the target comes from rustup's servers, which a machine
/// may not reach).
pub(crate) fn check(root: &Path, required: bool) -> Result<()> {
    if let Err(err) = ensure_target() {
        if required {
            return Err(err);
        }
        eprintln!(
            "\n*** WARNING: the macOS build check did NOT run: {err:#}.\n\
             *** Run `cargo xtask check-macos` where rustup can install {TARGET}.\n"
        );
        return Ok(());
    }
    let fake_cc = root.join("target/xtask/empty-object-cc");
    std::fs::create_dir_all(fake_cc.parent().context("no parent")?)?;
    // Build scripts only need an object to archive; `cargo check` never
    // links it.
    std::fs::write(
        &fake_cc,
        "#!/bin/sh\nout=\nwhile [ $# -gt 0 ]; do\n  \
         if [ \"$1\" = -o ]; then out=$2; shift; fi\n  shift\ndone\n\
         exec cc -c -x c /dev/null -o \"$out\"\n",
    )?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&fake_cc, std::fs::Permissions::from_mode(0o755))?;
    let args = [
        "clippy",
        "--workspace",
        "--all-targets",
        "--target",
        TARGET,
        "--",
        "-D",
        "warnings",
    ];
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .env("CC_x86_64_apple_darwin", &fake_cc)
        .env("AR_x86_64_apple_darwin", "ar")
        .current_dir(root)
        .status()
        .context("cannot run cargo clippy")?;
    if !status.success() {
        bail!("the workspace does not build for macOS ({status})");
    }
    Ok(())
}

fn ensure_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is not available")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        return Ok(());
    }
    eprintln!("$ rustup target add {TARGET}");
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .context("cannot run rustup")?;
    if !status.success() {
        bail!("`rustup target add {TARGET}` failed ({status})");
    }
    Ok(())
}
