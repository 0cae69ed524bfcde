# clone(CLONE_NEWUSER) through ctypes syscall(): namespace-creating clone flags are refused with EPERM.
# expect-status: ok
# expect-stdout: clone(CLONE_NEWUSER): ret=-1 errno=EPERM
import ctypes
import errno
import os
import signal

nr = {"x86_64": 56, "aarch64": 220}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ctypes.set_errno(0)
# No new stack: the child, if any, continues like a fork() child and leaves at once.
ret = libc.syscall(ctypes.c_long(nr), ctypes.c_ulong(0x10000000 | signal.SIGCHLD), None, None, None, None)
if ret == 0:
    os._exit(0)
err = ctypes.get_errno()
print(f"clone(CLONE_NEWUSER): ret={ret} errno={errno.errorcode.get(err, err)}")
if ret > 0:
    os.waitpid(ret, 0)
