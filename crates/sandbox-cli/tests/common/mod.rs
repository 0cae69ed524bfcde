//! Shared by the CLI's test binaries.

use std::ffi::OsStr;
use std::process::Command;

/// `program` without this process's `SANDBOX_*` and `RUST_LOG` variables,
/// so a developer's settings cannot change what a test sees; at the tests'
/// isolation level ([`isolation`]).
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SANDBOX_") {
            command.env_remove(name);
        }
    }
    command.env_remove("RUST_LOG");
    if let Some(level) = isolation() {
        command.env(sandbox_client::vars::ISOLATION, level);
    }
    command
}

/// `no-cgroups` where this user may not make cgroups and the whole suite
/// is not required (plain `cargo test`; `cargo xtask test` sets
/// `SANDBOX_TEST_TIERS` and runs everything at the default, full): said
/// once on the terminal. `None`: the default applies.
pub fn isolation() -> Option<&'static str> {
    use std::io::Write as _;
    static LEVEL: std::sync::OnceLock<Option<&'static str>> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        let probed = sandbox_client::probe_isolation();
        let missing: Vec<&str> = probed
            .layers
            .iter()
            .filter(|layer| layer.name.starts_with("cgroup ") && !layer.available())
            .map(|layer| layer.name)
            .collect();
        if missing.is_empty() || std::env::var_os("SANDBOX_TEST_TIERS").is_some() {
            return None;
        }
        let _ = writeln!(
            std::io::stderr(),
            "NOTE: the CLI's secure runs use isolation `no-cgroups` here (missing: {}); \
             `cargo xtask test` runs them at full",
            missing.join(", ")
        );
        Some("no-cgroups")
    })
}

/// Whether a test that needs `what` runs here: true when `present`. When
/// not, under `cargo xtask test` (`SANDBOX_TEST_TIERS` set) the test fails;
/// under plain `cargo test` it says `SKIPPED` on the terminal and is false.
#[allow(
    dead_code,
    reason = "each test binary uses what it needs of this module"
)]
pub fn runs(test: &str, what: &str, present: bool) -> bool {
    use std::io::Write as _;
    if present {
        return true;
    }
    assert!(
        std::env::var_os("SANDBOX_TEST_TIERS").is_none(),
        "{test} needs {what}, which is missing here; SANDBOX_TEST_TIERS is set"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: needs {what}; `cargo xtask test` runs it"
    );
    false
}

/// [`runs`] for tests of what only cgroups (isolation `full`) do.
#[allow(
    dead_code,
    reason = "each test binary uses what it needs of this module"
)]
pub fn with_cgroups(test: &str) -> bool {
    runs(test, "cgroups this user may make", isolation().is_none())
}

/// [`runs`] for tests that run as root (and drop to `nobody`).
#[allow(
    dead_code,
    reason = "each test binary uses what it needs of this module"
)]
pub fn as_root(test: &str) -> bool {
    runs(test, "root", nix::unistd::geteuid().is_root())
}
