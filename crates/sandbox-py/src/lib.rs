//! `sandbox_executor._native`: the Rust half of the `sandbox_executor`
//! Python package (the original tool's API on this engine). The Python
//! half (`python/sandbox_executor`) holds the public classes, their
//! docstrings and stubs; this module holds what must be native: the
//! client over `sandbox-client`, the results, and the wait that releases
//! the GIL and turns `Ctrl-C` into a cancelled run.
//!
//! Build it with `cargo xtask wheel` (maturin, an abi3 wheel for CPython
//! 3.9 and later); its tests are pytest's, in `tests/`.

#![forbid(unsafe_code)]

mod client;
mod errors;
mod options;
mod result;
mod runtime;
mod tool;

use pyo3::prelude::*;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The defaults the Python `ClientConfig` shows, from the one place
    // that defines them.
    let defaults = sandbox_core::ClientConfig::default();
    let shown = pyo3::types::PyDict::new(module.py());
    shown.set_item("timeout", defaults.timeout.as_secs_f64())?;
    shown.set_item("max_memory_mb", defaults.max_memory_mb)?;
    shown.set_item("api_timeout", defaults.api_timeout.as_secs_f64())?;
    shown.set_item("max_output_bytes", defaults.max_output_bytes)?;
    module.add("DEFAULTS", shown)?;
    module.add_class::<client::NativeClient>()?;
    module.add_class::<client::RunHandle>()?;
    module.add_class::<options::PyRequest>()?;
    module.add_class::<result::PyExecutionResult>()?;
    module.add_class::<tool::NativeTool>()?;
    Ok(())
}
