# Check from inside: open files, file size and CPU time have finite hard limits and core dumps are off.
# expect-status: ok
# expect-stdout: RLIMIT_NOFILE finite
# expect-stdout: RLIMIT_FSIZE finite
# expect-stdout: RLIMIT_CPU finite
# expect-stdout: RLIMIT_CORE 0 0
import resource

for name in ("RLIMIT_NOFILE", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC"):
    soft, hard = resource.getrlimit(getattr(resource, name))
    print(name, "unlimited" if hard == resource.RLIM_INFINITY else "finite", soft, hard)
print("RLIMIT_CORE", *resource.getrlimit(resource.RLIMIT_CORE))
