//! Test tiers: what plain `cargo test` may not assume of a developer's
//! machine (root, a browser, a container engine, the venvs the set-up
//! makes, the network helper).
//!
//! A test of a tier starts with [`require!`]. Under plain `cargo test` a
//! tier that is not here is skipped loudly: a `SKIPPED` line on the
//! terminal (past the test harness's capture) names the test's module, the
//! tier, what is missing and how to get it, and the test returns. Under
//! `cargo xtask test`, which CI runs, `SANDBOX_TEST_TIERS=all` is set and a
//! missing tier fails its test instead: where the whole suite is meant to
//! run, nothing is skipped.

use std::io::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use sandbox_client::Isolation;

/// The variable `cargo xtask test` sets: every tier must run.
pub const ALL_TIERS: &str = "SANDBOX_TEST_TIERS";

/// What a test needs beyond a Linux machine with Python and user
/// namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Runs as root: network namespaces made by the test, host uid leases,
    /// dropping to `nobody`.
    Root,
    /// Headless Chromium on `PATH`.
    Browser,
    /// Root podman and the image `cargo xtask image` builds.
    Container,
    /// The pinned numpy/pandas/matplotlib venv (`.ci/data-stack`).
    DataStack,
    /// The deployment validators and Schemathesis (`.ci/deploy-tools`).
    DeployTools,
    /// The user-mode network helper (`slirp4netns`) for runs with the
    /// network allowed.
    NetworkHelper,
    /// Writable cgroups for the runner (memory and pids controllers).
    Cgroups,
    /// An interpreter with `_posixsubprocess` built in (Debian's).
    BuiltinSubprocess,
}

impl Tier {
    fn name(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Browser => "browser",
            Self::Container => "container",
            Self::DataStack => "data-stack",
            Self::DeployTools => "deploy-tools",
            Self::NetworkHelper => "network-helper",
            Self::Cgroups => "cgroups",
            Self::BuiltinSubprocess => "builtin-subprocess",
        }
    }

    /// `Ok` when the tier is here; else what is missing and how to get it.
    fn check(self) -> Result<(), String> {
        let root = nix::unistd::geteuid().is_root();
        let in_repo = |path: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join(path).exists();
        match self {
            Self::Root if root => Ok(()),
            Self::Root => Err("not running as root".into()),
            Self::Browser => ["chromium", "chromium-browser"]
                .into_iter()
                .any(on_path)
                .then_some(())
                .ok_or_else(|| "no chromium on PATH: apt-get install chromium".into()),
            Self::Container if !root => Err("the image runs under root podman".into()),
            Self::Container => on_path("podman")
                .then_some(())
                .ok_or_else(|| "no podman: `cargo xtask setup`, then `cargo xtask image`".into()),
            Self::DataStack => in_repo("target/data-stack/venv/bin/python")
                .then_some(())
                .ok_or_else(|| "no target/data-stack/venv: `cargo xtask setup`".into()),
            Self::DeployTools => in_repo("target/deploy-tools/venv/bin/st")
                .then_some(())
                .ok_or_else(|| "no target/deploy-tools/venv: `cargo xtask setup`".into()),
            Self::NetworkHelper => layer("network helper"),
            Self::Cgroups => layer("cgroup memory").and_then(|()| layer("cgroup pids")),
            Self::BuiltinSubprocess => {
                interpreter_with_builtin_subprocess()
                    .map(drop)
                    .ok_or_else(|| {
                        "no python3 with `_posixsubprocess` built in: apt-get install python3"
                            .into()
                    })
            }
        }
    }
}

/// A system interpreter with `_posixsubprocess` built in, as Debian builds
/// it.
/// Looked for once per test process.
pub fn interpreter_with_builtin_subprocess() -> Option<std::path::PathBuf> {
    static FOUND: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    FOUND.get_or_init(find_builtin_subprocess).clone()
}

fn find_builtin_subprocess() -> Option<std::path::PathBuf> {
    ["/usr/bin/python3", "/usr/bin/python3.11"]
        .into_iter()
        .map(std::path::PathBuf::from)
        .find(|python| {
            std::process::Command::new(python)
                .args([
                    "-I",
                    "-c",
                    "import sys; sys.exit('_posixsubprocess' not in sys.builtin_module_names)",
                ])
                .output()
                .is_ok_and(|output| output.status.success())
        })
}

/// Whether the layer `sandbox doctor` calls `name` is available here.
fn layer(name: &str) -> Result<(), String> {
    let probed = sandbox_client::probe_isolation();
    match probed.layers.iter().find(|layer| layer.name == name) {
        Some(layer) => layer.status.clone().map(drop),
        None => Err(format!("`sandbox doctor` shows no layer `{name}`")),
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The isolation level the suite's secure runs use: `full` where this
/// user may make cgroups, and under `cargo xtask test`; elsewhere, under
/// plain `cargo test`, `no-cgroups` (memory and processes limited by
/// rlimits instead), said once on the terminal. Tests of what only cgroups
/// do require [`Tier::Cgroups`].
pub fn isolation() -> Isolation {
    static LEVEL: OnceLock<Isolation> = OnceLock::new();
    *LEVEL.get_or_init(|| match Tier::Cgroups.check() {
        Ok(()) => Isolation::Full,
        Err(_) if std::env::var_os(ALL_TIERS).is_some() => Isolation::Full,
        Err(missing) => {
            let _ = writeln!(
                std::io::stderr(),
                "NOTE: secure-mode tests run at isolation `no-cgroups` here ({missing}); \
                 tests of what cgroups do are skipped; `cargo xtask test` runs them all"
            );
            Isolation::NoCgroups
        }
    })
}

/// Whether a test of `tier` in `module` runs: true when the tier is here.
/// When it is not, fails under `cargo xtask test` and says `SKIPPED`
/// otherwise.
pub fn runs(tier: Tier, module: &str) -> bool {
    let Err(missing) = tier.check() else {
        return true;
    };
    let test = std::thread::current()
        .name()
        .filter(|name| !name.starts_with("tokio-"))
        .map_or_else(|| module.to_owned(), str::to_owned);
    assert!(
        std::env::var_os(ALL_TIERS).is_none(),
        "{test} needs the `{}` tier, which is missing here ({missing}); \
         {ALL_TIERS} is set, so every tier must run",
        tier.name()
    );
    // Written to the terminal itself: the harness captures `eprintln!`.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: needs the `{}` tier ({missing}); `cargo xtask test` runs every tier",
        tier.name()
    );
    false
}

/// Returns from the calling test unless `tier` is here (see the module).
macro_rules! require {
    ($tier:expr) => {
        if !$crate::tier::runs($tier, module_path!()) {
            return;
        }
    };
}
pub(crate) use require;

#[test]
fn every_tier_says_what_is_missing() {
    for tier in [
        Tier::Root,
        Tier::Browser,
        Tier::Container,
        Tier::DataStack,
        Tier::DeployTools,
        Tier::NetworkHelper,
        Tier::Cgroups,
        Tier::BuiltinSubprocess,
    ] {
        if let Err(missing) = tier.check() {
            assert!(!missing.is_empty(), "{tier:?}");
        }
    }
    assert!(on_path("sh"));
    assert!(!on_path("no-such-program-here"));
}
