# ptrace(PTRACE_TRACEME) through ctypes syscall(): seccomp refuses it with EPERM.
# expect-status: ok
# expect-stdout: ptrace(TRACEME): ret=-1 errno=EPERM
import ctypes
import errno
import os

nr = {"x86_64": 101, "aarch64": 117}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(0), ctypes.c_long(0), None, None)
err = ctypes.get_errno()
print(f"ptrace(TRACEME): ret={ret} errno={errno.errorcode.get(err, err)}")
