# System calls the kernel has and an unprivileged process may make, which the seccomp allow-list leaves out as no
# interpreter or common library needs them: io_setup (legacy AIO, would hand back a context), get_mempolicy (NUMA
# policy, would succeed) and, on x86_64, modify_ldt (read the LDT, would return 0). Each answers ENOSYS.
# expect-status: ok
# expect-stdout: io_setup: ret=-1 errno=ENOSYS
# expect-stdout: get_mempolicy: ret=-1 errno=ENOSYS
# expect-stdout: modify_ldt: ret=-1 errno=ENOSYS
import ctypes
import errno
import os

numbers = {
    "x86_64": {"io_setup": 206, "get_mempolicy": 239, "modify_ldt": 154},
    "aarch64": {"io_setup": 0, "get_mempolicy": 236},
}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(name, *args):
    if name not in numbers:
        print(f"{name}: ret=-1 errno=ENOSYS (not on this architecture)")
        return
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(numbers[name]), *args)
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")


context = ctypes.c_ulong(0)
call("io_setup", ctypes.c_uint(1), ctypes.byref(context))
mode = ctypes.c_int(0)
call("get_mempolicy", ctypes.byref(mode), None, ctypes.c_ulong(0), None, ctypes.c_ulong(0))
ldt = ctypes.create_string_buffer(16)
call("modify_ldt", ctypes.c_int(0), ldt, ctypes.c_ulong(16))
