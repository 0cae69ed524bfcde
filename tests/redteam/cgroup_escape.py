# Raise the sandbox's own limits or leave its cgroup through cgroupfs (memory.max, pids.max, cgroup.procs).
# Only opens the files; nothing is ever written.
# expect-status: ok
# expect-stdout: CGROUPS OUT OF REACH
# forbid-stdout: WRITABLE
import os

with open("/proc/self/cgroup") as f:
    print("cgroup:", f.read().strip().replace("\n", " | "))
candidates = []
for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"):
    for name in ("memory.max", "memory.limit_in_bytes", "pids.max", "cgroup.procs", "tasks", "cgroup.subtree_control"):
        candidates.append(os.path.join(root, name))
writable = False
for path in candidates:
    try:
        os.close(os.open(path, os.O_WRONLY))
        print("WRITABLE", path)
        writable = True
    except OSError:
        pass
try:
    print("/sys/fs/cgroup holds", sorted(os.listdir("/sys/fs/cgroup"))[:10])
except OSError as e:
    print("/sys/fs/cgroup ->", type(e).__name__)
if not writable:
    print("CGROUPS OUT OF REACH")
