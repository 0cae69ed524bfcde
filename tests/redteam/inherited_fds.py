# Look for file descriptors leaked from the runner or the host test process (its canary sockets, pipes, files).
# expect-status: ok
# expect-stdout: stdin is /dev/null
# expect-stdout: ONLY STDIO
# forbid-stdout: EXTRA FD
import os

fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
extra = []
for fd in fds:
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue  # the directory listing's own descriptor, closed by now
    if fd > 2:
        extra.append((fd, target))
print("stdin is", os.readlink("/proc/self/fd/0"))
for fd, target in extra:
    print("EXTRA FD", fd, "->", target)
if not extra:
    print("ONLY STDIO")
