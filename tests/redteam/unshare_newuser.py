# unshare(CLONE_NEWUSER) through ctypes syscall() (a new user namespace is the first step of most kernel exploits).
# expect-status: ok
# expect-stdout: unshare(CLONE_NEWUSER): ret=-1 errno=EPERM
import ctypes
import errno
import os

nr = {"x86_64": 272, "aarch64": 97}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(0x10000000))
err = ctypes.get_errno()
print(f"unshare(CLONE_NEWUSER): ret={ret} errno={errno.errorcode.get(err, err)}")
