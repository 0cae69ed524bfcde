# pivot_root(2) and chroot(2) through ctypes syscall(): seccomp answers EPERM.
# expect-status: ok
# expect-stdout: pivot_root: ret=-1 errno=EPERM
# expect-stdout: chroot: ret=-1 errno=EPERM
import ctypes
import errno
import os

pivot_nr, chroot_nr = {"x86_64": (155, 161), "aarch64": (41, 51)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(name, nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *args)
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")


call("pivot_root", pivot_nr, b"/nonexistent-redteam-a", b"/nonexistent-redteam-b")
call("chroot", chroot_nr, b"/tmp")
