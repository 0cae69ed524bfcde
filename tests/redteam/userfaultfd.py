# userfaultfd(UFFD_USER_MODE_ONLY) through ctypes syscall() (allowed to any user without a filter; a favourite tool
# for winning kernel races): EPERM from seccomp.
# expect-status: ok
# expect-stdout: userfaultfd: ret=-1 errno=EPERM
import ctypes
import errno
import os

nr = {"x86_64": 323, "aarch64": 282}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(1 | os.O_CLOEXEC))
err = ctypes.get_errno()
print(f"userfaultfd: ret={ret} errno={errno.errorcode.get(err, err)}")
