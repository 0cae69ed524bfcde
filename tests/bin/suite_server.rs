//! The `sandbox-server` program built under the suite's own name, so the
//! integration tests get it as `CARGO_BIN_EXE_suite-server`, rebuilt by
//! cargo before they run (cargo gives a package's tests only that package's
//! binaries). It is the same `main` as the shipped binary.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    sandbox_server::program::main()
}
