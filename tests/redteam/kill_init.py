# Kill pid 1 (the sandbox's init) with SIGKILL and SIGSTOP: the namespace's init ignores them and the run goes on.
# expect-status: ok
# expect-stdout: STILL RUNNING
# max-seconds: 5
import os
import signal
import time

if os.readlink("/proc/self/ns/pid") == {HOST_NAMESPACES}["pid"]:
    print("REFUSING: in the host's pid namespace")
    raise SystemExit(3)
for sig in (signal.SIGKILL, signal.SIGSTOP):
    try:
        os.kill(1, sig)
        print("sent", sig.name, "to pid 1")
    except OSError as e:
        print(sig.name, "to pid 1:", type(e).__name__)
time.sleep(0.5)
print("STILL RUNNING as pid", os.getpid())
