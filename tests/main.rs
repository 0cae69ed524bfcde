//! Cross-crate integration tests: `SandboxClient` through the runner to a
//! real interpreter, on the real kernel. One binary; modules:
//!
//! - `support`:  shared helpers (a client with a private work root, process checks)
//! - `tier`:     what plain `cargo test` may not assume (root, a browser, podman, venvs): skipped loudly there, required under `cargo xtask test`
//! - `examples`: the original README's examples with their exact outputs; every cargo example run
//! - `limits`:   timeout, memory, output flood, CPU; each reports its own status
//! - `live`:     live output through the client, Server-Sent Events and the stream's guarantees
//! - `display`:  rich results (last expression, `display()`, charts) through the library, SSE and MCP
//! - `files`:    input/output files, hostile names, symlinks
//! - `cleanup`:  no work dir and no process is left behind, whatever happens
//! - `container`: the image built by `cargo xtask image`, run by podman: compose as documented, without its options, with delegated cgroups
//! - `compile`:  what only the interpreter's compiler refuses is a syntax_error with the user's line
//! - `contract`: JSON snapshots of the execution contract
//! - `nesting`:  deeply nested code through the library, the server and MCP: refused, never a crash
//! - `network`:  a networked sandbox in a test-made namespace: out to an allowed service and DNS, never the host
//! - `policy`:   the policy layer: corpus, refusals, the in-interpreter guard
//! - `pool`:     warm sandboxes: pooled results equal cold ones, nothing carries over, refills, metrics
//! - `sessions`: kept sandboxes: state across runs, interrupts, kills, files beneath the work dir
//! - `secure`:   secure mode's layers seen from inside, and its limits
//! - `redteam`:  one attack per tests/redteam/*.py against secure mode, contained by effect
//! - `data_stack`: numpy, pandas and matplotlib (a pinned venv) with the standard library in secure mode
//! - `client`:   configuration paths, the blocking client, concurrency
//! - `docs`:     docs/configuration.md and docs/server.md document every environment variable
//! - `serving`:  a real sandbox-server process on a loopback port, and HTTP helpers
//! - `connections`: slow, idle, half-closed and cross-origin clients of a real server, byte by byte
//! - `schema`:   Schemathesis against a real server: the OpenAPI document is what the server does
//! - `server`:   the HTTP API: curl example, auth, limits, load, disconnects, shutdown, docs
//! - `remote`:   one set of cases against local and remote clients, identical results
//! - `mcp`:      MCP at `/mcp` on a real server, driven by the official SDK's client
//! - `deploy`:   deploy/ (Dockerfile, compose, Kubernetes) through offline validators
//! - `shape`:    the modules of core and the server import each other without a cycle

#![forbid(unsafe_code)]
// Test helpers may panic on broken preconditions; that is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cleanup;
mod client;
mod compile;
mod connections;
mod container;
mod contract;
// Secure mode, which exists on Linux alone.
#[cfg(target_os = "linux")]
mod data_stack;
mod deploy;
mod display;
mod docs;
mod examples;
mod files;
mod limits;
mod live;
mod mcp;
mod nesting;
mod network;
mod policy;
// The pool prepares secure sandboxes, which exist on Linux alone.
#[cfg(target_os = "linux")]
mod pool;
// Attacks on the kernel layers, which exist on Linux alone.
#[cfg(target_os = "linux")]
mod redteam;
mod remote;
mod schema;
mod secure;
mod server;
mod serving;
#[cfg(target_os = "linux")]
mod sessions;
mod shape;
mod support;
mod tier;
