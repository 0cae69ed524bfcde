//! The isolation level: part of the contract (a request may ask for one,
//! a result says which was used), so it lives here rather than with the
//! secure plan that carries it out.

use serde::{Deserialize, Serialize};

/// How much isolation a caller accepts. Secure mode refuses to run when a
/// layer its level requires is missing, naming the layer; it never weakens
/// silently. The result reports the level actually used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// Every layer: namespaces, landlock, seccomp and cgroup limits.
    #[default]
    Full,
    /// Every layer but the cgroups: memory and process counts are limited
    /// with rlimits (`RLIMIT_AS`, `RLIMIT_NPROC`) instead. For machines (or
    /// users) that cannot write cgroups.
    NoCgroups,
    /// Namespaces and seccomp required; landlock and cgroups used when
    /// available. For old kernels and locked-down containers.
    BestEffort,
}

impl Isolation {
    /// What this level leaves unbounded, for `sandbox doctor` and docs.
    pub fn unbounded(self) -> Option<&'static str> {
        match self {
            Self::Full => None,
            Self::NoCgroups | Self::BestEffort => Some(
                "without a memory cgroup, memory is capped by RLIMIT_AS (address space), which \
                 does not count kernel memory: System V IPC is refused and TCP buffers are held \
                 to 1 MiB per socket, but pipe and unix-socket buffers are bounded only by the \
                 open-file limit (256) times their size (pipes by the host's per-user pipe \
                 quota, unix sockets up to 4 MiB each); and processes are capped by \
                 RLIMIT_NPROC, which counts every process of the host user",
            ),
        }
    }

    /// The name used in configuration and results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::NoCgroups => "no-cgroups",
            Self::BestEffort => "best-effort",
        }
    }
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Isolation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "no-cgroups" => Ok(Self::NoCgroups),
            "best-effort" => Ok(Self::BestEffort),
            _ => Err(format!(
                "unknown isolation `{s}`, expected `full`, `no-cgroups` or `best-effort`"
            )),
        }
    }
}
