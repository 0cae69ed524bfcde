# Read /proc/self/cgroup: in its own cgroup namespace the sandbox sees at most its own run's group
# (`/` or `/sandbox-<random>`, one component), never the host's cgroup tree above it.
# The program is moved into its cgroups after the namespace is made (so the move overlaps the
# interpreter's start-up), which is why the run's own group name may show; nothing above it may.
# expect-status: ok
# expect-stdout: CGROUP TREE PRIVATE
# forbid-stdout: LEAK
with open("/proc/self/cgroup") as f:
    lines = f.read().splitlines()


def private(path):
    parts = [p for p in path.split("/") if p]
    return not parts or (len(parts) == 1 and parts[0].startswith("sandbox-"))


leaks = [line for line in lines if not private(line.split(":", 2)[2])]
for line in lines:
    print(line)
for line in leaks:
    print("LEAK", line)
if not leaks:
    print("CGROUP TREE PRIVATE")
