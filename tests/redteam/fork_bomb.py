# Fork bomb: fork until the process limit refuses, keep hammering for 2 s; the host must stay responsive.
# Bounded (children exit after 5 s, at most 5000 forks) so a broken sandbox cannot take the host down.
# expect-status: error
# expect-stdout: FORK REFUSED
# expect-stderr: BlockingIOError | Resource temporarily unavailable
# timeout: 10
# max-seconds: 8
# host-responsive: yes
import os
import time

if os.readlink("/proc/self/ns/pid") == {HOST_NAMESPACES}["pid"]:
    print("REFUSING: in the host's pid namespace")
    raise SystemExit(3)
first_error = None
forks = 0
deadline = None
while forks < 5000 and (deadline is None or time.time() < deadline):
    try:
        pid = os.fork()
    except OSError as e:
        if first_error is None:
            first_error = e
            deadline = time.time() + 2
            print("FORK REFUSED after", forks, "children:", type(e).__name__, e, flush=True)
        continue
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    forks += 1
if first_error is None:
    print("NO PROCESS LIMIT: forked", forks)
    raise SystemExit(3)
raise first_error
