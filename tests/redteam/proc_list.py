# List /proc: only the sandbox's own few processes are visible (pid namespace), none of the host's.
# expect-status: ok
# expect-stdout: FEW PROCESSES
# forbid-stdout: comm={HOST_COMM}
# forbid-stdout: comm=sleep
# forbid-stdout: comm=cargo
# forbid-stdout: TOO MANY
import os

pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
for pid in pids:
    try:
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read().strip()
    except OSError:
        comm = "?"
    print(f"pid={pid} comm={comm}")
print("my pid", os.getpid(), "parent", os.getppid())
print("FEW PROCESSES" if len(pids) <= 5 else f"TOO MANY: {len(pids)} processes")
