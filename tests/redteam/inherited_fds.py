# Look for file descriptors leaked from the runner or the host test process (its canary sockets, pipes, files).
# Descriptor 3 is the sandbox's report pipe (docs/workers.md), write-only,
# which carries the program's displays to the runner; nothing else is open.
# expect-status: ok
# expect-stdout: stdin is /dev/null
# expect-stdout: REPORT PIPE 3 write-only
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
    if fd == 3 and target.startswith("pipe:"):
        with open("/proc/self/fdinfo/3") as info:
            flags = int(info.read().split("flags:")[1].split()[0], 8)
        if flags & os.O_ACCMODE == os.O_WRONLY and flags & os.O_CLOEXEC:
            print("REPORT PIPE 3 write-only")
            continue
    if fd > 2:
        extra.append((fd, target))
print("stdin is", os.readlink("/proc/self/fd/0"))
for fd, target in extra:
    print("EXTRA FD", fd, "->", target)
if not extra:
    print("ONLY STDIO")
