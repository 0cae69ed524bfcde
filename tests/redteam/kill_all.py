# kill(-1, SIGKILL): every process this one may signal. It must reach only the sandbox (a child of its own dies),
# never the host (the harness checks its sentinel process and itself survive).
# Refuses to run in the host's pid namespace, so a broken sandbox fails this test instead of killing the host.
# expect-status: ok
# expect-stdout: CHILD KILLED BY SIGKILL
# expect-stdout: SURVIVED
import os
import signal
import time

host_pid_namespace = {HOST_NAMESPACES}["pid"]
visible = [p for p in os.listdir("/proc") if p.isdigit()]
if os.readlink("/proc/self/ns/pid") == host_pid_namespace or len(visible) > 20:
    print("REFUSING: not in a pid namespace of its own,", len(visible), "processes visible")
    raise SystemExit(3)
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
time.sleep(0.2)
os.kill(-1, signal.SIGKILL)
_, status = os.waitpid(child, 0)
if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
    print("CHILD KILLED BY SIGKILL")
print("SURVIVED")
