//! The seccomp filters, compiled to BPF in the parent with `seccompiler`
//! (pure Rust) and installed by the child as its last step before `execve`.
//!
//! The policy is a deny-list answering `EPERM`, so Python raises a readable
//! `PermissionError` instead of dying of `SIGSYS`. Each entry says why. A
//! deny-list keeps every ordinary interpreter and library (numpy, pandas)
//! working; the namespaces and landlock already confine what the allowed
//! calls can reach, and this filter removes the kernel attack surface and
//! escape routes those layers do not cover.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// Syscalls denied outright, with the reason.
const DENIED: &[(i64, &str)] = &[
    (libc::SYS_ptrace, "inspect or control other processes"),
    (libc::SYS_process_vm_readv, "read another process's memory"),
    (
        libc::SYS_process_vm_writev,
        "write another process's memory",
    ),
    (libc::SYS_kcmp, "compare kernel objects of other processes"),
    (libc::SYS_pidfd_getfd, "steal another process's descriptors"),
    (libc::SYS_process_madvise, "act on another process's memory"),
    (libc::SYS_mount, "change the filesystem layout"),
    (libc::SYS_umount2, "uncover what the sandbox hides"),
    (libc::SYS_pivot_root, "change the root"),
    (libc::SYS_chroot, "change the root"),
    (libc::SYS_move_mount, "new mount API"),
    (libc::SYS_open_tree, "new mount API"),
    (libc::SYS_fsopen, "new mount API"),
    (libc::SYS_fsconfig, "new mount API"),
    (libc::SYS_fsmount, "new mount API"),
    (libc::SYS_fspick, "new mount API"),
    (libc::SYS_mount_setattr, "new mount API"),
    (
        libc::SYS_unshare,
        "create namespaces (kernel attack surface)",
    ),
    (libc::SYS_setns, "enter other namespaces"),
    (libc::SYS_keyctl, "kernel keyrings are not namespaced"),
    (libc::SYS_add_key, "kernel keyrings are not namespaced"),
    (libc::SYS_request_key, "kernel keyrings are not namespaced"),
    (libc::SYS_bpf, "load programs into the kernel"),
    (
        libc::SYS_perf_event_open,
        "performance counters leak host activity",
    ),
    (libc::SYS_userfaultfd, "classic aid to kernel exploits"),
    (
        libc::SYS_io_uring_setup,
        "io_uring bypasses seccomp for its operations",
    ),
    (
        libc::SYS_io_uring_enter,
        "io_uring bypasses seccomp for its operations",
    ),
    (
        libc::SYS_io_uring_register,
        "io_uring bypasses seccomp for its operations",
    ),
    (libc::SYS_kexec_load, "replace the kernel"),
    (libc::SYS_kexec_file_load, "replace the kernel"),
    (libc::SYS_init_module, "load kernel modules"),
    (libc::SYS_finit_module, "load kernel modules"),
    (libc::SYS_delete_module, "unload kernel modules"),
    (libc::SYS_reboot, "reboot the machine"),
    (libc::SYS_swapon, "change swap"),
    (libc::SYS_swapoff, "change swap"),
    (libc::SYS_acct, "process accounting"),
    (libc::SYS_quotactl, "disk quotas"),
    (libc::SYS_syslog, "read the kernel log"),
    (libc::SYS_settimeofday, "set the clock"),
    (libc::SYS_clock_settime, "set the clock"),
    (libc::SYS_clock_adjtime, "set the clock"),
    (libc::SYS_adjtimex, "set the clock"),
    (libc::SYS_sethostname, "the hostname is fixed"),
    (libc::SYS_setdomainname, "the domain name is fixed"),
    (
        libc::SYS_open_by_handle_at,
        "open files by handle, bypassing paths",
    ),
    (libc::SYS_name_to_handle_at, "file handles"),
    (libc::SYS_fanotify_init, "watch filesystem events"),
    (libc::SYS_personality, "change the execution domain"),
    (libc::SYS_vhangup, "hang up terminals"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_iopl, "raw I/O port access"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_ioperm, "raw I/O port access"),
    #[cfg(target_arch = "x86_64")]
    (libc::SYS_uselib, "obsolete library loading"),
];

/// `clone` flags that create namespaces; `clone` with any of them is denied
/// (the first argument holds the flags on every supported architecture).
const NAMESPACE_FLAGS: &[i32] = &[
    libc::CLONE_NEWUSER,
    libc::CLONE_NEWNS,
    libc::CLONE_NEWPID,
    libc::CLONE_NEWNET,
    libc::CLONE_NEWIPC,
    libc::CLONE_NEWUTS,
    libc::CLONE_NEWCGROUP,
];

fn arch() -> TargetArch {
    #[cfg(target_arch = "aarch64")]
    return TargetArch::aarch64;
    #[cfg(target_arch = "riscv64")]
    return TargetArch::riscv64;
    #[cfg(not(any(target_arch = "aarch64", target_arch = "riscv64")))]
    TargetArch::x86_64
}

/// The filters, in installation order: the deny-list (`EPERM`), then one
/// that answers `clone3` with `ENOSYS` so the C library falls back to
/// `clone`, whose flags the first filter can inspect (`clone3` passes them
/// in memory, out of BPF's reach).
pub(crate) fn filters(allow_network: bool) -> Result<Vec<BpfProgram>, seccompiler::Error> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> =
        DENIED.iter().map(|(nr, _)| (*nr, Vec::new())).collect();

    let clone_rules = NAMESPACE_FLAGS
        .iter()
        .map(|flag| {
            let flag = *flag as u64;
            SeccompRule::new(vec![SeccompCondition::new(
                0,
                SeccompCmpArgLen::Qword,
                SeccompCmpOp::MaskedEq(flag),
                flag,
            )?])
        })
        .collect::<Result<Vec<_>, _>>()?;
    rules.insert(libc::SYS_clone, clone_rules);

    // TIOCSTI pushes input into a terminal: a classic escape when a tty leaks.
    rules.insert(
        libc::SYS_ioctl,
        vec![SeccompRule::new(vec![SeccompCondition::new(
            1,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Eq,
            libc::TIOCSTI,
        )?])?],
    );

    if !allow_network {
        // Only local (AF_UNIX) sockets; everything else is the network.
        let not_unix = |arg| -> Result<SeccompRule, seccompiler::Error> {
            Ok(SeccompRule::new(vec![SeccompCondition::new(
                arg,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Ne,
                libc::AF_UNIX as u64,
            )?])?)
        };
        rules.insert(libc::SYS_socket, vec![not_unix(0)?]);
        rules.insert(libc::SYS_socketpair, vec![not_unix(0)?]);
    }

    let deny = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch(),
    )?;
    let clone3 = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_clone3, Vec::new())]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch(),
    )?;
    let mut programs: Vec<BpfProgram> = vec![deny.try_into()?, clone3.try_into()?];
    programs.extend(x32_filter());
    Ok(programs)
}

/// On x86_64 the x32 ABI reaches the same system calls under numbers with
/// bit 30 set, which the deny-list (exact numbers) would not match; the
/// architecture check does not catch them either (x32 shares
/// `AUDIT_ARCH_X86_64`). Deny every such number. Four instructions, written
/// by hand: load the number, compare, return.
fn x32_filter() -> Option<BpfProgram> {
    #[cfg(target_arch = "x86_64")]
    {
        const X32_SYSCALL_BIT: u32 = 0x4000_0000;
        let insn = |code: u16, jt: u8, jf: u8, k: u32| seccompiler::sock_filter { code, jt, jf, k };
        let errno = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
        Some(vec![
            // A = seccomp_data.nr
            insn((libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16, 0, 0, 0),
            // if A >= X32_SYSCALL_BIT goto deny else goto allow
            insn(
                (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16,
                0,
                1,
                X32_SYSCALL_BIT,
            ),
            insn((libc::BPF_RET | libc::BPF_K) as u16, 0, 0, errno),
            insn(
                (libc::BPF_RET | libc::BPF_K) as u16,
                0,
                0,
                libc::SECCOMP_RET_ALLOW,
            ),
        ])
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

/// Converts to the kernel's struct layout (identical field for field).
pub(crate) fn to_kernel(program: &BpfProgram) -> Vec<libc::sock_filter> {
    program
        .iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_compile_both_ways() {
        for network in [false, true] {
            let programs = filters(network).unwrap();
            assert_eq!(
                programs.len(),
                if cfg!(target_arch = "x86_64") { 3 } else { 2 }
            );
            assert!(programs.iter().all(|p| !p.is_empty()));
        }
        assert!(filters(false).unwrap()[0].len() > filters(true).unwrap()[0].len());
    }
}
