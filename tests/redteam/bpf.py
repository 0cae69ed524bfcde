# bpf(BPF_MAP_CREATE) through ctypes syscall(): eBPF is a large kernel attack surface, EPERM from seccomp.
# expect-status: ok
# expect-stdout: bpf: ret=-1 errno=EPERM
import ctypes
import errno
import os

nr = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
attr = ctypes.create_string_buffer(128)
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(0), attr, ctypes.c_uint(128))
err = ctypes.get_errno()
print(f"bpf: ret={ret} errno={errno.errorcode.get(err, err)}")
