# Reach host files through /proc magic links: /proc/self/root, /proc/1/root, /proc/<host pid>/root, /proc/self/cwd/..
# expect-status: ok
# expect-stdout: MAGIC LINKS BLOCKED
# forbid-stdout: READ
paths = [
    "/proc/self/root{CANARY_FILE}",
    "/proc/1/root{CANARY_FILE}",
    "/proc/{HOST_PID}/root{CANARY_FILE}",
    "/proc/{SENTINEL_PID}/root{CANARY_FILE}",
    "/proc/self/cwd/../../../..{CANARY_FILE}",
]
ok = True
for path in paths:
    try:
        with open(path) as f:
            print("READ", path, f.read())
            ok = False
    except OSError as e:
        print(path, "->", type(e).__name__)
if ok:
    print("MAGIC LINKS BLOCKED")
