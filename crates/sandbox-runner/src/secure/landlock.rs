//! The landlock ruleset, built in the parent with the `landlock` crate and
//! handed to the child as a descriptor it passes to
//! `landlock_restrict_self`.
//!
//! Rules attach to inodes, and bind mounts share their source's inodes, so
//! rules made on host paths hold for the same files inside the sandbox.
//! Mounts created inside (tmpfs, proc) have no inode before the clone: init
//! adds their rules to the same ruleset after mounting them (see
//! `sys::sandbox`), with the masks computed here.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use sandbox_core::secure::LandlockRules;

use landlock::{
    ABI, Access, AccessFs, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr,
    Scope,
};

/// The newest ABI this code targets; older kernels get the subset they have.
const ABI_TARGET: i64 = 6;

/// The access masks for one kernel: every right this kernel and this code
/// both know is handled (so denied unless a rule allows it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Masks {
    handled: BitFlags<AccessFs>,
    /// IPC scoping (ABI 6+): no connecting to abstract unix sockets and no
    /// signals outside the sandbox, which matters when the network is
    /// allowed and the host's network namespace (and its abstract sockets)
    /// is shared.
    scope: BitFlags<Scope>,
    pub(crate) read: BitFlags<AccessFs>,
    pub(crate) write_dir: BitFlags<AccessFs>,
    write_file: BitFlags<AccessFs>,
    execute: BitFlags<AccessFs>,
}

impl Masks {
    pub(crate) fn for_kernel(kernel_abi: i64) -> Self {
        let abi = ABI::from(kernel_abi.clamp(1, ABI_TARGET) as i32);
        let handled = AccessFs::from_all(abi);
        Self {
            handled,
            scope: Scope::from_all(abi),
            read: (AccessFs::ReadFile | AccessFs::ReadDir) & handled,
            write_dir: handled & !AccessFs::Execute,
            write_file: (AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate) & handled,
            execute: (AccessFs::Execute | AccessFs::ReadFile) & handled,
        }
    }
}

/// The host paths of `rules` with the access each class gets (bound host
/// paths, ruled on the host before the clone).
fn by_access<'a>(
    rules: &'a LandlockRules,
    masks: &Masks,
) -> [(&'a Vec<PathBuf>, BitFlags<AccessFs>); 3] {
    [
        (&rules.read, masks.read),
        (&rules.write_files, masks.write_file),
        (&rules.execute, masks.execute),
    ]
}

/// The rules init adds after mounting, by path inside, with their masks.
pub(crate) fn inside(rules: &LandlockRules, masks: &Masks) -> Vec<(PathBuf, u64)> {
    let read = rules
        .read_inside
        .iter()
        .map(|p| (p.clone(), masks.read.bits()));
    let write = rules
        .write_inside
        .iter()
        .map(|p| (p.clone(), masks.write_dir.bits()));
    read.chain(write).collect()
}

/// Builds the ruleset: everything handled, then allowed back only where a
/// rule says. Execution is allowed for the listed files alone.
pub(crate) fn ruleset(rules: &LandlockRules, masks: &Masks) -> Result<OwnedFd, String> {
    let rule = |path: &PathBuf, access: BitFlags<AccessFs>| {
        PathFd::new(path)
            .map(|fd| PathBeneath::new(fd, access))
            .map_err(|e| format!("landlock rule for `{}`: {e}", path.display()))
    };
    let mut ruleset = Ruleset::default()
        .handle_access(masks.handled)
        .map_err(|e| format!("cannot create a landlock ruleset: {e}"))?;
    if !masks.scope.is_empty() {
        ruleset = ruleset
            .scope(masks.scope)
            .map_err(|e| format!("cannot scope the landlock ruleset: {e}"))?;
    }
    let mut created = ruleset
        .create()
        .map_err(|e| format!("cannot create a landlock ruleset: {e}"))?;
    for (paths, access) in by_access(rules, masks) {
        for path in paths {
            created = created.add_rule(rule(path, access)?).map_err(|e| {
                format!("cannot add the landlock rule for `{}`: {e}", path.display())
            })?;
        }
    }
    let fd: Option<OwnedFd> = created.into();
    fd.ok_or_else(|| "landlock is not supported by this kernel".to_owned())
}

/// The ruleset as data, for the sandboxes of a fork server, which build
/// their own (each adds rules for the filesystems it mounted, so a shared
/// ruleset would grow with every sandbox). Paths are as seen inside; binds
/// sit at their host paths.
#[derive(Debug, Clone)]
pub(crate) struct Flat {
    pub(crate) handled: u64,
    pub(crate) scope: u64,
    /// Size of `struct landlock_ruleset_attr` this ABI knows.
    pub(crate) attr_size: usize,
    /// Rights a rule on a file (not a directory) may carry.
    pub(crate) file_access: u64,
    pub(crate) rules: Vec<(PathBuf, u64)>,
}

/// [`ruleset`]'s rules, every one by path.
pub(crate) fn flat(rules: &LandlockRules, masks: &Masks, kernel_abi: i64) -> Flat {
    let abi = kernel_abi.clamp(1, ABI_TARGET);
    let mut flat = Flat {
        handled: masks.handled.bits(),
        scope: masks.scope.bits(),
        attr_size: match abi {
            1..=3 => 8,
            4 | 5 => 16,
            _ => 24,
        },
        file_access: (AccessFs::from_file(ABI::from(abi as i32)) & masks.handled).bits(),
        rules: Vec::new(),
    };
    for (paths, access) in by_access(rules, masks) {
        flat.rules
            .extend(paths.iter().map(|path| (path.clone(), access.bits())));
    }
    flat.rules.extend(inside(rules, masks));
    flat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_mask_lets_a_writable_place_execute() {
        for abi in 1..=ABI_TARGET + 1 {
            let masks = Masks::for_kernel(abi);
            for mask in [masks.read, masks.write_dir, masks.write_file] {
                assert!(!mask.contains(AccessFs::Execute), "ABI {abi}: {mask:?}");
                assert_eq!(mask & !masks.handled, BitFlags::empty(), "ABI {abi}");
            }
            assert_eq!(
                masks.execute,
                (AccessFs::Execute | AccessFs::ReadFile) & masks.handled
            );
            assert!(masks.read.contains(AccessFs::ReadFile | AccessFs::ReadDir));
            assert!(
                masks
                    .write_dir
                    .contains(AccessFs::WriteFile | AccessFs::MakeReg)
            );
            // Everything handled is denied unless a rule allows it:
            // execution is handled on every ABI.
            assert!(masks.handled.contains(AccessFs::Execute));
            // Truncation is a right from ABI 3 on, and handled there.
            assert_eq!(masks.handled.contains(AccessFs::Truncate), abi >= 3);
        }
    }

    #[test]
    fn inside_rules_read_or_write_by_class() {
        let masks = Masks::for_kernel(ABI_TARGET);
        let rules = LandlockRules {
            read: vec!["/usr".into()],
            write_files: vec!["/dev/null".into()],
            execute: vec!["/usr/bin/python3.11".into()],
            read_inside: vec!["/proc".into()],
            write_inside: vec!["/tmp".into()],
        };
        assert_eq!(
            inside(&rules, &masks),
            [
                (PathBuf::from("/proc"), masks.read.bits()),
                (PathBuf::from("/tmp"), masks.write_dir.bits()),
            ]
        );
        let flat = flat(&rules, &masks, ABI_TARGET);
        let paths: Vec<_> = flat.rules.iter().map(|(path, _)| path.clone()).collect();
        assert_eq!(
            paths,
            ["/usr", "/dev/null", "/usr/bin/python3.11", "/proc", "/tmp"].map(PathBuf::from)
        );
        assert_eq!(flat.attr_size, 24);
        assert_eq!(flat.handled, masks.handled.bits());
    }
}
