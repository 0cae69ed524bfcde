# Check from inside: no_new_privs is set, a seccomp filter is active, and every capability is gone.
# expect-status: ok
# expect-stdout: NoNewPrivs=1
# expect-stdout: Seccomp=2
# expect-stdout: CapEff=0000000000000000
# expect-stdout: CapPrm=0000000000000000
# expect-stdout: CapInh=0000000000000000
# expect-stdout: CapAmb=0000000000000000
with open("/proc/self/status") as f:
    for line in f:
        key, _, value = line.partition(":")
        if key in ("NoNewPrivs", "Seccomp", "Seccomp_filters", "CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"):
            print(f"{key}={value.strip()}")
