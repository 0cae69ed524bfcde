//! The absolute bounds of one execution, whatever the configuration says:
//! a leaf module, read by the configuration's checks and by the limits
//! that merge a request with it (also as `limits::MAX_TIMEOUT` and so on).

use std::time::Duration;

/// Longest accepted timeout: one day.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);
/// Smallest memory limit the interpreter starts with, in MiB.
pub const MIN_MEMORY_MB: u64 = 16;
/// Largest memory limit, in MiB (1 TiB).
pub const MAX_MEMORY_MB: u64 = 1 << 20;
/// Largest accepted output cap per stream: 1 GiB.
pub const MAX_OUTPUT_BYTES: usize = 1 << 30;
/// Largest accepted source code: 16 MiB.
pub const MAX_CODE_BYTES: usize = 16 << 20;
/// Most input files per request.
pub const MAX_INPUT_FILES: usize = 1000;
/// Largest total size of input files: 256 MiB.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;
/// Open files per process inside the sandbox.
pub const OPEN_FILES: u64 = 256;
