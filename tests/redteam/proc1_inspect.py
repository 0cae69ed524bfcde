# Inspect pid 1 (the sandbox's init, started by the host process) through /proc: its command line, executable, cwd,
# open descriptors, memory map and memory must not reveal the host process (its argv may hold secrets).
# expect-status: ok
# expect-stdout: INIT INSPECTED
# forbid-stdout: {HOST_EXE}
# forbid-stdout: {FIXTURE_DIR}
import os

for entry in ("cmdline", "comm", "maps", "mem", "stat"):
    try:
        with open(f"/proc/1/{entry}", "rb") as f:
            data = f.read(4096)
        print(entry, ":", data.replace(b"\0", b" ").decode(errors="replace")[:2000])
    except OSError as e:
        print(entry, ": blocked", type(e).__name__)
for link in ("exe", "cwd", "root"):
    try:
        print(link, "->", os.readlink(f"/proc/1/{link}"))
    except OSError as e:
        print(link, ": blocked", type(e).__name__)
try:
    fds = os.listdir("/proc/1/fd")
    print("fds:", fds)
    for fd in fds:
        try:
            print(" ", fd, "->", os.readlink(f"/proc/1/fd/{fd}"))
        except OSError as e:
            print(" ", fd, ":", type(e).__name__)
except OSError as e:
    print("fd : blocked", type(e).__name__)
print("INIT INSPECTED")
