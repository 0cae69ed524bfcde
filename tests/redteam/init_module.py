# Load or unload kernel modules (init_module, finit_module, delete_module) through ctypes syscall(): EPERM from
# seccomp (without it a kernel built without modules would say ENOSYS).
# expect-status: ok
# expect-stdout: init_module: ret=-1 errno=EPERM
# expect-stdout: finit_module: ret=-1 errno=EPERM
# expect-stdout: delete_module: ret=-1 errno=EPERM
import ctypes
import errno
import os

init_nr, delete_nr, finit_nr = {"x86_64": (175, 176, 313), "aarch64": (105, 106, 273)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(name, nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *args)
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")


call("init_module", init_nr, None, ctypes.c_ulong(0), b"")
call("finit_module", finit_nr, ctypes.c_long(-1), b"", ctypes.c_long(0))
call("delete_module", delete_nr, b"redteam_no_such_module", ctypes.c_long(os.O_NONBLOCK))
