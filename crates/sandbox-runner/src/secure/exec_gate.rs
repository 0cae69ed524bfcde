//! The exec gate: a seccomp filter that lets exactly one `execve` happen in
//! a sandbox, the one that starts the interpreter.
//!
//! The interpreter needs the dynamic loader to be executable (the kernel
//! opens it with exec intent), so landlock cannot refuse `ld.so /bin/sh`,
//! nor `ld.so` on a program the code wrote somewhere; and a memfd has no
//! path for landlock to rule. Rather than chase each route, nothing is
//! executed after the interpreter starts: the program needs no other
//! process image (pooled runs are forks of a waiting interpreter too).
//!
//! Init installs this filter on itself with a listener (it holds
//! `CAP_SYS_ADMIN` in its user namespace, so no `no_new_privs` is needed)
//! before it forks the program; every process of the sandbox inherits it.
//! The filter turns `execve` and `execveat` into notifications for init.
//! Init lets the program's first one continue and closes the listener; from
//! then on the kernel answers every exec in the sandbox with `ENOSYS`
//! (a notification without a listener), whatever path, descriptor or loader
//! is named. Other architectures' entry points are left to the main filter,
//! which refuses them.

/// `AUDIT_ARCH_*` of the native system-call entry point.
#[cfg(target_arch = "x86_64")]
const NATIVE_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const NATIVE_ARCH: u32 = 0xC000_00B7;
#[cfg(target_arch = "riscv64")]
const NATIVE_ARCH: u32 = 0xC000_00F3;
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64"
)))]
const NATIVE_ARCH: u32 = 0;

/// Offsets in `struct seccomp_data`.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;

/// The gate's BPF program, written by hand (seven instructions; seccompiler
/// has no user-notification action).
#[expect(
    clippy::cast_possible_truncation,
    reason = "libc declares BPF opcodes u32 and syscall numbers c_long; all \
              used here are small non-negative constants (the tests run the program)"
)]
pub(crate) fn program() -> Vec<libc::sock_filter> {
    let insn = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let jeq = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
    let ret = libc::BPF_RET | libc::BPF_K;
    vec![
        // Another architecture's entry point: the main filter's business.
        insn(load, 0, 0, ARCH_OFFSET),
        insn(jeq, 0, 3, NATIVE_ARCH),
        insn(load, 0, 0, NR_OFFSET),
        insn(jeq, 2, 0, libc::SYS_execve as u32),
        insn(jeq, 1, 0, libc::SYS_execveat as u32),
        insn(ret, 0, 0, libc::SECCOMP_RET_ALLOW),
        insn(ret, 0, 0, libc::SECCOMP_RET_USER_NOTIF),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the program on one `seccomp_data` (arch, nr) the way the
    /// kernel's classic-BPF interpreter does, for the instructions used.
    fn verdict(program: &[libc::sock_filter], arch: u32, nr: u32) -> u32 {
        let mut pc = 0usize;
        let mut acc = 0u32;
        loop {
            let i = program[pc];
            let code = u32::from(i.code);
            if code == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS {
                acc = if i.k == ARCH_OFFSET { arch } else { nr };
                pc += 1;
            } else if code == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K {
                pc += 1 + usize::from(if acc == i.k { i.jt } else { i.jf });
            } else if code == libc::BPF_RET | libc::BPF_K {
                return i.k;
            } else {
                panic!("unexpected instruction {code:#x}");
            }
        }
    }

    #[test]
    fn only_exec_is_gated() {
        let program = program();
        for nr in [libc::SYS_execve, libc::SYS_execveat] {
            assert_eq!(
                verdict(&program, NATIVE_ARCH, u32::try_from(nr).unwrap()),
                libc::SECCOMP_RET_USER_NOTIF
            );
        }
        for nr in [libc::SYS_read, libc::SYS_clone, libc::SYS_openat, 0, 1000] {
            assert_eq!(
                verdict(&program, NATIVE_ARCH, u32::try_from(nr).unwrap()),
                libc::SECCOMP_RET_ALLOW
            );
        }
        assert_eq!(
            verdict(
                &program,
                0x4000_0003,
                u32::try_from(libc::SYS_execve).unwrap()
            ),
            libc::SECCOMP_RET_ALLOW
        );
    }
}
