//! The child's building blocks: thin wrappers over the raw syscalls it
//! makes, each with its one `unsafe` call, and the check that turns a
//! failed call into a report on the error pipe. Nothing here allocates,
//! locks or unwinds (see the module above).

use std::ffi::CStr;
use std::ptr;

use libc::{c_int, c_long, c_ulong};

use super::FD_ERROR;
use super::handshake::{ErrorRecord, Step};

/// Init's descriptors could not be moved into place: nothing can be
/// reported yet (the parent says set-up failed before it could say why).
pub(super) const EXIT_DESCRIPTORS: c_int = 124;
/// The parent gave up (its end of the go pipe closed).
pub(super) const EXIT_ABANDONED: c_int = 125;
/// A step failed and was reported on the error pipe.
pub(super) const EXIT_SETUP: c_int = 126;
/// The interpreter could not be executed (reported too).
pub(super) const EXIT_EXEC: c_int = 127;

/// What a raw syscall returns: -1 (with errno set) on failure.
pub(super) trait SyscallResult: Copy {
    fn failed(self) -> bool;
}

impl SyscallResult for c_int {
    fn failed(self) -> bool {
        self == -1
    }
}

impl SyscallResult for c_long {
    fn failed(self) -> bool {
        self == -1
    }
}

impl SyscallResult for isize {
    fn failed(self) -> bool {
        self == -1
    }
}

/// `ret`, unless the call failed: then `step` is reported with errno and
/// the process exits.
pub(super) fn check<T: SyscallResult>(ret: T, step: impl Into<Step>) -> T {
    if ret.failed() {
        fail(step, EXIT_SETUP);
    }
    ret
}

/// Reports `step` with the current errno on the error pipe and exits.
pub(super) fn fail(step: impl Into<Step>, code: c_int) -> ! {
    let record = ErrorRecord {
        step: step.into(),
        errno: errno(),
    };
    write_all(FD_ERROR, &record.encode());
    exit(code)
}

pub(super) fn errno() -> c_int {
    // SAFETY: libc's thread-local errno accessor is async-signal-safe and
    // returns a valid pointer for the calling thread.
    unsafe { *libc::__errno_location() }
}

pub(super) fn set_errno(value: c_int) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = value }
}

pub(super) fn exit(code: c_int) -> ! {
    // SAFETY: `_exit` ends the process at once, running nothing of the
    // parent's (no atexit handlers, no stdio flush).
    unsafe { libc::_exit(code) }
}

pub(super) fn close(fd: c_int) {
    // SAFETY: closing a descriptor number touches no memory; a number not
    // open is EBADF, which is ignored.
    unsafe { libc::close(fd) };
}

pub(super) fn dup2(from: c_int, to: c_int) -> c_int {
    // SAFETY: descriptor numbers only.
    unsafe { libc::dup2(from, to) }
}

/// Closes every descriptor from `first` to `last`, both included.
pub(super) fn close_range(first: c_int, last: c_int) -> c_long {
    let (Ok(first), Ok(last)) = (u32::try_from(first), u32::try_from(last)) else {
        set_errno(libc::EBADF);
        return -1;
    };
    // SAFETY: descriptor numbers only.
    unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) }
}

/// Every descriptor from `first` on.
pub(super) fn close_from(first: c_int) -> c_long {
    let Ok(first) = u32::try_from(first) else {
        set_errno(libc::EBADF);
        return -1;
    };
    // SAFETY: descriptor numbers only.
    unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, 0u32) }
}

pub(super) fn open(path: &CStr, flags: c_int) -> c_int {
    // SAFETY: `path` is NUL-terminated and lives across the call.
    unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) }
}

pub(super) fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: c_ulong,
    data: Option<&CStr>,
) -> c_int {
    let ptr = |s: Option<&CStr>| s.map_or(ptr::null(), CStr::as_ptr);
    // SAFETY: every pointer is null or a NUL-terminated string that lives
    // across the call.
    unsafe {
        libc::mount(
            ptr(source),
            target.as_ptr(),
            ptr(fstype),
            flags,
            ptr(data).cast(),
        )
    }
}

/// A `prctl(2)` option that takes integers only.
pub(super) fn prctl(option: c_int, arg: c_ulong) -> c_int {
    // SAFETY: the options used here read no pointers.
    unsafe { libc::prctl(option, arg, 0, 0, 0) }
}

/// Waits for child `pid` to end, across interruptions; its wait status.
pub(super) fn wait_for(pid: libc::pid_t) -> Option<c_int> {
    let mut status: c_int = 0;
    loop {
        // SAFETY: writes the status into a local.
        if unsafe { libc::waitpid(pid, &raw mut status, 0) } != -1 {
            return Some(status);
        }
        if errno() != libc::EINTR {
            return None;
        }
    }
}

/// Blocks for one byte from `fd`; `None` on end of file or error.
pub(super) fn read_byte(fd: c_int) -> Option<u8> {
    let mut byte = 0u8;
    loop {
        // SAFETY: reads at most one byte into a local.
        let n = unsafe { libc::read(fd, (&raw mut byte).cast(), 1) };
        if n == 1 {
            return Some(byte);
        }
        if n == -1 && errno() == libc::EINTR {
            continue;
        }
        return None;
    }
}

/// Reads what fits into `buffer`; how much (0 on error).
pub(super) fn read_into(fd: c_int, buffer: &mut [u8]) -> usize {
    // SAFETY: reads at most `buffer.len()` bytes into a live buffer.
    let n = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
    usize::try_from(n).unwrap_or(0)
}

/// Writes all of `bytes`, across interruptions; -1 if a write failed.
pub(super) fn write_all(fd: c_int, bytes: &[u8]) -> isize {
    let mut done = 0;
    while done < bytes.len() {
        let rest = &bytes[done..];
        // SAFETY: writes from a live slice within its bounds.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        match usize::try_from(n) {
            Ok(0) => return -1,
            Ok(n) => done += n,
            Err(_) if errno() == libc::EINTR => {}
            Err(_) => return -1,
        }
    }
    0
}

/// Writes `value` into the file at `path` (a sysctl, a cgroup file).
pub(super) fn write_file(path: &CStr, value: &[u8]) -> isize {
    let fd = open(path, libc::O_WRONLY);
    if fd == -1 {
        return -1;
    }
    let written = write_all(fd, value);
    close(fd);
    written
}

/// A short line built without allocating (the child may not allocate).
pub(super) struct Line {
    buf: [u8; 128],
    len: usize,
}

impl Line {
    pub(super) fn new() -> Self {
        Self {
            buf: [0; 128],
            len: 0,
        }
    }

    /// Appends what fits.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    pub(super) fn push_int(&mut self, value: i64) {
        if value < 0 {
            self.push(b"-");
        }
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value.unsigned_abs();
        loop {
            at -= 1;
            // A digit: `rest % 10` is below 10.
            digits[at] = b"0123456789"[usize::from(u8::try_from(rest % 10).unwrap_or(0))];
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        self.push(&digits[at..]);
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The seconds of `name`'s line in a `timens_offsets` text
/// (`monotonic -120 0`), or 0.
pub(super) fn clock_offset(text: &[u8], name: &[u8]) -> i64 {
    for line in text.split(|&b| b == b'\n') {
        let mut fields = line.split(|&b| b == b' ').filter(|f| !f.is_empty());
        if fields.next() != Some(name) {
            continue;
        }
        let Some(field) = fields.next() else { return 0 };
        let (negative, digits) = match field.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, field),
        };
        let mut value: i64 = 0;
        for &digit in digits {
            if !digit.is_ascii_digit() {
                return 0;
            }
            value = value
                .saturating_mul(10)
                .saturating_add(i64::from(digit - b'0'));
        }
        return if negative { -value } else { value };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_offsets_need_no_allocation() {
        let mut line = Line::new();
        line.push(b"monotonic ");
        line.push_int(-1234567);
        line.push(b" ");
        line.push_int(0);
        line.push_int(i64::MIN);
        assert_eq!(line.bytes(), b"monotonic -1234567 0-9223372036854775808");
        let text = b"monotonic      -17    0\nboottime  42 0\n";
        assert_eq!(clock_offset(text, b"monotonic"), -17);
        assert_eq!(clock_offset(text, b"boottime"), 42);
        assert_eq!(clock_offset(b"", b"boottime"), 0);
        assert_eq!(clock_offset(b"boottime x1 0", b"boottime"), 0);
    }

    #[test]
    fn a_line_keeps_what_fits() {
        let mut line = Line::new();
        for _ in 0..20 {
            line.push(b"0123456789");
        }
        assert_eq!(line.bytes().len(), 128);
    }

    #[test]
    fn syscall_results_fail_on_minus_one_only() {
        assert!((-1 as c_int).failed());
        assert!(!(0 as c_int).failed());
        assert!(!(3 as c_long).failed());
        assert!((-1isize).failed());
    }
}
