//! The `sandbox-server` binary; see [`sandbox_server::program`].

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    sandbox_server::program::main()
}
