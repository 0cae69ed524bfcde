# Signal host processes by their host pids (the test process, its sentinel) with kill and pidfd_open.
# expect-status: ok
# expect-stdout: test process: ProcessLookupError
# expect-stdout: sentinel: ProcessLookupError
# forbid-stdout: SENT
import os
import signal

for label, pid in (("test process", {HOST_PID}), ("sentinel", {SENTINEL_PID})):
    try:
        fd = os.pidfd_open(pid)  # Python 3.9+
        print("pidfd_open", label, "opened fd", fd)
        os.close(fd)
    except (OSError, AttributeError) as e:
        print("pidfd_open", label, type(e).__name__)
    try:
        os.kill(pid, signal.SIGKILL)
        print("SENT SIGKILL to", label)
    except OSError as e:
        print(f"{label}: {type(e).__name__}")
