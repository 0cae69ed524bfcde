# process_vm_readv / process_vm_writev (read or write another process's memory) through ctypes: EPERM from seccomp.
# expect-status: ok
# expect-stdout: process_vm_readv: ret=-1 errno=EPERM
# expect-stdout: process_vm_writev: ret=-1 errno=EPERM
import ctypes
import errno
import os


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


numbers = {"x86_64": (310, 311), "aarch64": (270, 271)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
source = ctypes.create_string_buffer(b"target", 16)
dest = ctypes.create_string_buffer(16)
local = Iovec(ctypes.addressof(dest), 16)
remote = Iovec(ctypes.addressof(source), 16)
for name, nr in zip(("process_vm_readv", "process_vm_writev"), numbers):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(os.getpid()), ctypes.byref(local), ctypes.c_ulong(1),
                       ctypes.byref(remote), ctypes.c_ulong(1), ctypes.c_ulong(0))
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")
