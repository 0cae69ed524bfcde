# Hoard inotify instances: the kernel charges them to the runner's user host-wide, so the
# sandbox's own namespace quota must stop it (at zero: inotify is refused), not at the host's limit.
# expect-status: ok
# expect-stdout: LIMITED after 0
# forbid-stdout: UNLIMITED
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
fds = []
while len(fds) < 200:
    fd = libc.inotify_init1(0)
    if fd < 0:
        break
    fds.append(fd)
print("LIMITED after" if len(fds) < 200 else "UNLIMITED", len(fds), os.strerror(ctypes.get_errno()))
