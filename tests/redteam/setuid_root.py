# Become root again: setuid(0), setgid(0), setgroups([0]); whatever happens, no capability may come back.
# expect-status: ok
# expect-stdout: CapEff=0000000000000000
# expect-stdout: CapPrm=0000000000000000
import os

for label, call in (("setuid(0)", lambda: os.setuid(0)), ("setgid(0)", lambda: os.setgid(0)),
                    ("setgroups([0])", lambda: os.setgroups([0]))):
    try:
        call()
        print(label, "returned without error")
    except OSError as e:
        print(label, "->", type(e).__name__, e)
with open("/proc/self/status") as f:
    for line in f:
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "CapEff", "CapPrm"):
            print(f"{key}={value.strip()}")
