# perf_event_open(2) through ctypes syscall() (with a NULL attr: EFAULT without a filter): EPERM from seccomp.
# expect-status: ok
# expect-stdout: perf_event_open: ret=-1 errno=EPERM
import ctypes
import errno
import os

nr = {"x86_64": 298, "aarch64": 241}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(nr), None, ctypes.c_long(0), ctypes.c_long(-1), ctypes.c_long(-1), ctypes.c_ulong(0))
err = ctypes.get_errno()
print(f"perf_event_open: ret={ret} errno={errno.errorcode.get(err, err)}")
