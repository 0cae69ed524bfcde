# ptrace(PTRACE_ATTACH) to pid 1, the parent and a child of our own: seccomp refuses each with EPERM.
# expect-status: ok
# expect-stdout: ptrace(ATTACH, init): ret=-1 errno=EPERM
# expect-stdout: ptrace(ATTACH, child): ret=-1 errno=EPERM
# forbid-stdout: ret=0
import ctypes
import errno
import os
import signal
import time

nr = {"x86_64": 101, "aarch64": 117}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
for label, pid in (("init", 1), ("parent", os.getppid()), ("child", child)):
    if pid == 0:
        print(label, "not visible")
        continue
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(16), ctypes.c_long(pid), None, None)
    err = ctypes.get_errno()
    print(f"ptrace(ATTACH, {label}): ret={ret} errno={errno.errorcode.get(err, err)}")
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
