# Raise the hard resource limits back up (open files, file size, CPU, core dumps, processes).
# expect-status: ok
# expect-stdout: HARD LIMITS HOLD
# forbid-stdout: RAISED
import resource

raised = False
for name in ("RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_CORE", "RLIMIT_NPROC", "RLIMIT_AS"):
    which = getattr(resource, name)
    soft, hard = resource.getrlimit(which)
    if hard == resource.RLIM_INFINITY:
        print(name, "has no hard limit")
        continue
    try:
        resource.setrlimit(which, (hard + 1, hard + 1))
        print("RAISED", name, "above", hard)
        raised = True
    except (ValueError, OSError) as e:
        print(name, "refused:", e)
if not raised:
    print("HARD LIMITS HOLD")
