# Slip past the seccomp filter through the x32 ABI (syscall numbers with bit 30 set) on x86_64: unshare(CLONE_NEWUSER)
# must still fail, with EPERM from the filter or ENOSYS where the kernel has no x32.
# expect-status: ok
# expect-stdout: BLOCKED
# forbid-stdout: ALLOWED
import ctypes
import errno
import os

if os.uname().machine != "x86_64":
    print("BLOCKED: no x32 ABI outside x86_64")
    raise SystemExit(0)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(0x40000000 | 272), ctypes.c_long(0x10000000))
err = ctypes.get_errno()
name = errno.errorcode.get(err, err)
print(f"x32 unshare(CLONE_NEWUSER): ret={ret} errno={name}")
print("BLOCKED" if ret == -1 and name in ("EPERM", "ENOSYS") else "ALLOWED")
