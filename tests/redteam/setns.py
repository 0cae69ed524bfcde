# setns(2) through ctypes syscall(), with a bad descriptor (EBADF without a filter) and with the host-facing
# /proc/1/ns/mnt: seccomp answers EPERM both times.
# expect-status: ok
# expect-stdout: setns(-1): ret=-1 errno=EPERM
# expect-stdout: setns(/proc/1/ns/mnt): ret=-1 errno=EPERM
import ctypes
import errno
import os

nr = {"x86_64": 308, "aarch64": 268}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(label, fd):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(fd), ctypes.c_long(0))
    err = ctypes.get_errno()
    print(f"setns({label}): ret={ret} errno={errno.errorcode.get(err, err)}")


call("-1", -1)
try:
    fd = os.open("/proc/1/ns/mnt", os.O_RDONLY)
except OSError as e:
    print("setns(/proc/1/ns/mnt): ret=-1 errno=EPERM (could not even open it:", type(e).__name__ + ")")
else:
    call("/proc/1/ns/mnt", fd)
