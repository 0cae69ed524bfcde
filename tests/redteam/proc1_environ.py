# Read /proc/1/environ: pid 1 must be the sandbox's own init, holding none of the host's variables.
# Its variables are printed as `ENV name=value`, and the harness compares each with its own environment.
# expect-status: ok
# expect-stdout: PID1 ENV CLEAN | PID1 ENV UNREADABLE
# forbid-stdout: LEAK
# check-env: yes
host_names = set({HOST_ENV_NAMES})
try:
    with open("/proc/1/environ", "rb") as f:
        raw = f.read()
except OSError as e:
    print("PID1 ENV UNREADABLE", type(e).__name__)
else:
    variables = [item.decode(errors="replace") for item in raw.split(b"\0") if item]
    for variable in variables:
        print("ENV", variable)
    names = sorted({v.split("=", 1)[0] for v in variables})
    leaked = [n for n in names if n in host_names or n == "{SECRET_ENV}"]
    for name in leaked:
        print("LEAK", name)
    if not leaked:
        print("PID1 ENV CLEAN")
