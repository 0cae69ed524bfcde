# Check from inside: the user namespace maps exactly one id, the program's own, and not to the host's root
# (so nothing in the sandbox can ever act as host root, even in the kernel's eyes).
# expect-status: ok
# expect-stdout: uid_map lines=1
# expect-stdout: gid_map lines=1
# expect-stdout: my uid is not host root
# expect-stdout: my gid is not host root
# forbid-stdout: HOST ROOT IS MAPPED
import os

for kind, mine in (("uid", os.getuid()), ("gid", os.getgid())):
    with open(f"/proc/self/{kind}_map") as f:
        lines = [[int(n) for n in line.split()] for line in f.read().splitlines()]
    print(f"{kind}_map lines={len(lines)}", lines)
    outside = [out + (mine - inside) for inside, out, count in lines if inside <= mine < inside + count]
    print(f"my {kind} {mine} maps to host {kind}", outside)
    print(f"my {kind} is not host root" if outside and outside[0] != 0 else f"MY {kind.upper()} IS HOST ROOT")
    if any(out <= 0 < out + count for _, out, count in lines):
        print(f"HOST ROOT IS MAPPED in {kind}_map")
