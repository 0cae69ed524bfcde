# Compare every namespace with the host test process's: each one must be the sandbox's own.
# expect-status: ok
# expect-stdout: user: private
# expect-stdout: pid: private
# expect-stdout: net: private
# expect-stdout: mnt: private
# expect-stdout: ipc: private
# expect-stdout: uts: private
# expect-stdout: cgroup: private
# forbid-stdout: SHARED
import os

host = {HOST_NAMESPACES}
for kind, host_id in sorted(host.items()):
    try:
        mine = os.readlink(f"/proc/self/ns/{kind}")
    except OSError as e:
        print(f"{kind}: unreadable {type(e).__name__}")
        continue
    print(f"{kind}: private" if mine != host_id else f"{kind}: SHARED WITH THE HOST ({mine})")
