# The kernel keyring (keyctl, add_key, request_key) through ctypes syscall(): shared kernel state, EPERM from seccomp.
# expect-status: ok
# expect-stdout: keyctl: ret=-1 errno=EPERM
# expect-stdout: add_key: ret=-1 errno=EPERM
# expect-stdout: request_key: ret=-1 errno=EPERM
import ctypes
import errno
import os

add_key_nr, request_key_nr, keyctl_nr = {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(name, nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *args)
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")


# KEYCTL_GET_KEYRING_ID of the session keyring; add_key/request_key on the process keyring.
call("keyctl", keyctl_nr, ctypes.c_long(0), ctypes.c_long(-3), ctypes.c_long(0))
call("add_key", add_key_nr, b"user", b"redteam", b"x", ctypes.c_size_t(1), ctypes.c_long(-2))
call("request_key", request_key_nr, b"user", b"redteam-missing", None, ctypes.c_long(0))
