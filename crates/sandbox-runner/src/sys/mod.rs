//! The only module of the workspace that makes raw syscalls with `unsafe`.
//!
//! - [`wait`]: `wait4(2)`, the one call that reaps a child *and* returns its
//!   resource usage.
//! - [`sandbox`]: the secure-mode child, from `clone(2)` to `execve(2)`.
//! - [`probe`]: feature checks for `sandbox doctor` (landlock ABI, seccomp).
//!
//! Everything else goes through the safe wrappers of `nix`, `rlimit`,
//! `landlock` and `seccompiler`. Every `unsafe` block states its invariant.

#![allow(unsafe_code)]

pub(crate) mod probe;
pub(crate) mod sandbox;
pub(crate) mod wait;

pub(crate) use wait::{Exit, Reaped, reap, wait_exited};
