# clone3(CLONE_NEWUSER) through ctypes syscall(): seccomp cannot read clone3's flags, so it must refuse clone3 as a
# whole (ENOSYS makes libc fall back to clone, EPERM also contains it).
# expect-status: ok
# expect-stdout: BLOCKED
# forbid-stdout: ALLOWED
import ctypes
import errno
import os
import signal


class CloneArgs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in
                ("flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack", "stack_size", "tls")]


libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
args = CloneArgs(flags=0x10000000, exit_signal=signal.SIGCHLD)
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(435), ctypes.byref(args), ctypes.c_size_t(ctypes.sizeof(args)))
if ret == 0:
    os._exit(0)
err = ctypes.get_errno()
name = errno.errorcode.get(err, err)
print(f"clone3(CLONE_NEWUSER): ret={ret} errno={name}")
if ret > 0:
    os.waitpid(ret, 0)
print("BLOCKED" if ret == -1 and name in ("EPERM", "ENOSYS") else "ALLOWED")
