//! The specification that switches on the in-interpreter guard.
//!
//! The bootstrap (`bootstrap.py`) gets it in its run request (see
//! [`crate::protocol`]) before the user's code starts
//! and installs two hooks: a wrapper around `builtins.__import__` and a
//! PEP 578 audit hook. Imports started by the user's own code (`main.py`,
//! files in the work dir, code of unknown origin) are held to the module
//! lists, which catches names the syntax tree could not see
//! (`__import__(name)`, `pickle`-style lookups); imports started inside the
//! standard library or an installed package are left alone, so allowed
//! modules import what they need. Audit events that run programs
//! (`subprocess.Popen`, `os.system`, `os.exec`, `os.posix_spawn`), reach
//! the network when it is off, or open the interpreter's internals from
//! user code (`ctypes.dlopen`, `sys._getframe`, `code.__new__`, `exec`,
//! `compile`) raise an exception that names the policy. So does
//! `_posixsubprocess.fork_exec`, which starts a program without an audit
//! event (`multiprocessing` calls it, and user code can reach it through
//! `sys.modules`): the guard replaces it before the user's code starts and
//! refuses any later import of it, or of the modules that start
//! sub-interpreters (which would run without the hooks).
//!
//! Defence in depth only: the kernel is the boundary.

use std::collections::BTreeSet;

use super::{Policy, Unlisted};

/// The guard specification of a session under `policy`: as
/// [`guard_spec`], and modules found in the work dir when they are imported
/// are the program's own (files come and go between a session's runs).
pub fn session_guard_spec(
    policy: &Policy,
    local_modules: &BTreeSet<String>,
    network: bool,
) -> Option<String> {
    guard_spec(policy, local_modules, network).map(|spec| spec + ";work=1")
}

/// The guard specification for `policy`, or `None` when its guard is off.
/// `local_modules` are the program's own modules; `network` whether the run
/// may use the network. Names are validated module names, so the separators
/// (`;`, `,`, `=`) cannot occur in them.
pub fn guard_spec(
    policy: &Policy,
    local_modules: &BTreeSet<String>,
    network: bool,
) -> Option<String> {
    if !policy.runtime_guard {
        return None;
    }
    let join =
        |set: &BTreeSet<String>| set.iter().map(String::as_str).collect::<Vec<_>>().join(",");
    Some(format!(
        "allow={};deny={};local={};unlisted={};net={}",
        join(&policy.allow_modules),
        join(&policy.deny_modules),
        join(local_modules),
        match policy.unlisted {
            Unlisted::Allow => "allow",
            Unlisted::Deny => "deny",
        },
        u8::from(network)
    ))
}
