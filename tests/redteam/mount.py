# mount(2) and umount2(2) through ctypes syscall(): seccomp answers EPERM (the targets do not exist, so only the
# filter can explain EPERM; without it the kernel would say ENOENT).
# expect-status: ok
# expect-stdout: mount: ret=-1 errno=EPERM
# expect-stdout: umount2: ret=-1 errno=EPERM
import ctypes
import errno
import os

mount_nr, umount2_nr = {"x86_64": (165, 166), "aarch64": (40, 39)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(name, nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *args)
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")


call("mount", mount_nr, b"none", b"/nonexistent-redteam-target", b"tmpfs", ctypes.c_ulong(0), None)
call("umount2", umount2_nr, b"/nonexistent-redteam-target", ctypes.c_int(0))
