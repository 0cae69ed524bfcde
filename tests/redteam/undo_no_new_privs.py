# Undo the hardening from inside: clear no_new_privs, remove the seccomp filter with prctl.
# expect-status: ok
# expect-stdout: NoNewPrivs=1
# expect-stdout: Seccomp=2
# forbid-stdout: ret=0
import ctypes
import errno

libc = ctypes.CDLL(None, use_errno=True)
for label, option, arg in (("PR_SET_NO_NEW_PRIVS 0", 38, 0), ("PR_SET_SECCOMP disabled", 22, 0)):
    ctypes.set_errno(0)
    ret = libc.prctl(option, arg, 0, 0, 0)
    err = ctypes.get_errno()
    print(f"{label}: ret={ret} errno={errno.errorcode.get(err, err)}")
with open("/proc/self/status") as f:
    for line in f:
        key, _, value = line.partition(":")
        if key in ("NoNewPrivs", "Seccomp"):
            print(f"{key}={value.strip()}")
