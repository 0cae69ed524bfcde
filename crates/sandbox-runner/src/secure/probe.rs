//! Which secure-mode layers this machine offers, for `sandbox doctor` and
//! for refusing to run when a required one is missing.

use std::fmt;
use std::sync::OnceLock;

use sandbox_core::Isolation;

use super::cgroup::Hierarchy;
#[cfg(target_os = "linux")]
use crate::sys;

/// One isolation layer and whether it is available here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Short name, e.g. `user namespace`.
    pub name: &'static str,
    /// `Ok(detail)` when available, `Err(reason)` when missing.
    pub status: Result<String, String>,
}

impl Layer {
    /// Whether the layer is available.
    pub fn available(&self) -> bool {
        self.status.is_ok()
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.status {
            Ok(detail) => write!(f, "{:<18} available   {detail}", self.name),
            Err(reason) => write!(f, "{:<18} MISSING     {reason}", self.name),
        }
    }
}

/// Everything probed, with what a run needs to use it.
#[derive(Debug, Clone)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub struct Capabilities {
    /// Every layer, in doctor order.
    pub layers: Vec<Layer>,
    pub(crate) cgroups: Option<Hierarchy>,
    pub(crate) landlock: bool,
    pub(crate) landlock_abi: i64,
}

#[cfg(target_os = "linux")]
pub(crate) const NAMESPACES: &[(&str, libc::c_int)] = &[
    ("user namespace", libc::CLONE_NEWUSER),
    ("pid namespace", libc::CLONE_NEWPID),
    ("net namespace", libc::CLONE_NEWNET),
    ("mount namespace", libc::CLONE_NEWNS),
    ("ipc namespace", libc::CLONE_NEWIPC),
    ("uts namespace", libc::CLONE_NEWUTS),
    ("cgroup namespace", libc::CLONE_NEWCGROUP),
];

/// The layers this machine offers, probed once per process (a few clones
/// and file checks; milliseconds), so a server's start-up probe is the one
/// its runs use.
pub fn probe() -> Capabilities {
    cached().clone()
}

/// Probes every layer now.
#[cfg(target_os = "linux")]
fn probe_now() -> Capabilities {
    let mut layers = Vec::new();
    let user = sys::probe::try_clone(libc::CLONE_NEWUSER);
    for (name, flag) in NAMESPACES {
        // Every namespace but the user one is tried inside a new user
        // namespace, as a run does, so it works without root.
        let flags = if *flag == libc::CLONE_NEWUSER {
            *flag
        } else {
            *flag | libc::CLONE_NEWUSER
        };
        let status = match (&user, sys::probe::try_clone(flags)) {
            (_, Ok(())) => Ok("can be created".to_owned()),
            (Err(e), _) if *flag != libc::CLONE_NEWUSER => {
                Err(format!("needs a user namespace, which failed: {e}"))
            }
            (_, Err(e)) => Err(format!("clone failed: {e}{}", hint(*flag, &e))),
        };
        layers.push(Layer { name, status });
    }
    let mut rest = probe_without_clones();
    layers.append(&mut rest.layers);
    rest.layers = layers;
    rest
}

/// Probes the layers that need no clone: landlock, seccomp, cgroups.
#[cfg(target_os = "linux")]
fn probe_without_clones() -> Capabilities {
    let mut layers = Vec::new();
    let abi = sys::probe::landlock_abi();
    let landlock_abi = *abi.as_ref().unwrap_or(&0);
    let landlock = landlock_abi > 0;
    layers.push(Layer {
        name: "landlock",
        status: match abi {
            Ok(0) => {
                Err("not supported by this kernel (5.13+ with landlock in the LSM list)".into())
            }
            Ok(n) => Ok(format!("ABI {n}")),
            Err(e) => Err(format!("cannot query: {e}")),
        },
    });
    layers.push(Layer {
        name: "seccomp",
        status: if sys::probe::seccomp_available() {
            Ok("filters available".into())
        } else {
            Err("prctl(PR_GET_SECCOMP) failed: kernel without CONFIG_SECCOMP_FILTER".into())
        },
    });
    let cgroups = Hierarchy::detected().clone();
    for name in ["cgroup memory", "cgroup pids"] {
        layers.push(Layer {
            name,
            status: match &cgroups {
                Ok(h) => Ok(h.describe()),
                Err(reason) => Err(reason.clone()),
            },
        });
    }
    layers.push(Layer {
        name: NETWORK_HELPER,
        status: network_helper(),
    });
    layers.push(Layer {
        name: HOST_USERS,
        status: super::uid::describe(),
    });
    Capabilities {
        layers,
        cgroups: cgroups.ok(),
        landlock,
        landlock_abi,
    }
}

/// The layer only runs with the network allowed need: no isolation level
/// requires it, and without it those runs are refused.
pub(crate) const NETWORK_HELPER: &str = "network helper";
/// A host user per sandbox (root runners only): without it sandboxes share
/// the runner's user and its per-user kernel quotas.
pub(crate) const HOST_USERS: &str = "host user";
/// Layers no isolation level requires (shown by `sandbox doctor`).
pub(crate) const OPTIONAL_LAYERS: &[&str] = &[NETWORK_HELPER, HOST_USERS];

/// Whether sandboxes with the network allowed can have it here.
#[cfg(target_os = "linux")]
pub(crate) fn network_helper() -> Result<String, String> {
    use super::network::{HELPER, helper};
    let Some(path) = helper() else {
        return Err(format!(
            "{HELPER} not found (apt-get install slirp4netns): runs with the network allowed \
             are refused, never given the host's network"
        ));
    };
    let tun = std::path::Path::new("/dev/net/tun");
    if let Err(err) = nix::unistd::access(
        tun,
        nix::unistd::AccessFlags::R_OK | nix::unistd::AccessFlags::W_OK,
    ) {
        return Err(format!(
            "{HELPER} at {} cannot open {}: {err} (distributions make it mode 0666; `chmod \
             0666 /dev/net/tun` as root): runs with the network allowed are refused",
            path.display(),
            tun.display()
        ));
    }
    Ok(format!(
        "{HELPER} at {}: networked sandboxes get a network of their own; the host's \
         loopback, private and link-local ranges and its own addresses are refused",
        path.display()
    ))
}

/// Every layer missing: secure mode needs Linux.
#[cfg(not(target_os = "linux"))]
fn probe_now() -> Capabilities {
    let reason = format!(
        "secure mode needs Linux; this system is {}",
        std::env::consts::OS
    );
    let names = [
        "user namespace",
        "pid namespace",
        "net namespace",
        "mount namespace",
        "ipc namespace",
        "uts namespace",
        "cgroup namespace",
        "landlock",
        "seccomp",
        "cgroup memory",
        "cgroup pids",
        NETWORK_HELPER,
        HOST_USERS,
    ];
    Capabilities {
        layers: names
            .into_iter()
            .map(|name| Layer {
                name,
                status: Err(reason.clone()),
            })
            .collect(),
        cgroups: None,
        landlock: false,
        landlock_abi: 0,
    }
}

#[cfg(target_os = "linux")]
fn hint(flag: libc::c_int, err: &std::io::Error) -> &'static str {
    if flag == libc::CLONE_NEWUSER && err.raw_os_error() == Some(libc::EPERM) {
        " (user namespaces are disabled: check kernel.unprivileged_userns_clone, \
         user.max_user_namespaces, or the container's seccomp profile)"
    } else {
        ""
    }
}

/// Every layer, probed at most once per process.
static PROBED: OnceLock<Capabilities> = OnceLock::new();

/// The probe of this process, made once.
pub(crate) fn cached() -> &'static Capabilities {
    PROBED.get_or_init(probe_now)
}

/// What a run of `isolation` checks before it clones: best effort leaves
/// out what is missing, so it must know; the other levels need every
/// namespace and learn it from the clone itself.
#[cfg(target_os = "linux")]
pub(crate) fn for_isolation(isolation: Isolation) -> &'static Capabilities {
    match isolation {
        Isolation::BestEffort => cached(),
        Isolation::Full | Isolation::NoCgroups => before_clone(),
    }
}

/// The layers a run checks before it clones: landlock, seccomp and cgroups
/// probed (no clone needed), the namespaces taken as available, since the
/// run's own clone creates them all at once and a failure there is
/// explained by [`cached`] (which names the missing one). Saves a one-shot
/// `sandbox run` the eight probe clones.
#[cfg(target_os = "linux")]
pub(crate) fn before_clone() -> &'static Capabilities {
    static CAPS: OnceLock<Capabilities> = OnceLock::new();
    CAPS.get_or_init(|| {
        if let Some(full) = PROBED.get() {
            return full.clone();
        }
        let namespaces = NAMESPACES.iter().map(|(name, _)| Layer {
            name,
            status: Ok("checked by the run's clone".to_owned()),
        });
        let mut caps = probe_without_clones();
        caps.layers.splice(0..0, namespaces);
        caps
    })
}

impl Capabilities {
    /// The layers `isolation` requires that are missing here.
    pub fn missing_for(&self, isolation: Isolation) -> Vec<&Layer> {
        self.layers
            .iter()
            .filter(|layer| !layer.available() && !OPTIONAL_LAYERS.contains(&layer.name))
            .filter(|layer| match isolation {
                Isolation::Full => true,
                Isolation::NoCgroups => !is_cgroup_limit(layer.name),
                Isolation::BestEffort => !is_cgroup_limit(layer.name) && layer.name != "landlock",
            })
            .collect()
    }
}

fn is_cgroup_limit(name: &str) -> bool {
    matches!(name, "cgroup memory" | "cgroup pids")
}
