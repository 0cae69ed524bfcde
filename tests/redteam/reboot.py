# reboot(2) through ctypes syscall(), with deliberately wrong magic numbers so nothing could ever reboot: EPERM.
# expect-status: ok
# expect-stdout: reboot: ret=-1 errno=EPERM
import ctypes
import errno
import os

nr = {"x86_64": 169, "aarch64": 142}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), None)
err = ctypes.get_errno()
print(f"reboot: ret={ret} errno={errno.errorcode.get(err, err)}")
