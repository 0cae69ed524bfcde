# Look for host System V IPC objects (shared memory, semaphores, message queues): the IPC namespace is fresh.
# expect-status: ok
# expect-stdout: IPC EMPTY
for kind in ("shm", "sem", "msg"):
    try:
        with open("/proc/sysvipc/" + kind) as f:
            count = len(f.read().splitlines()) - 1
    except OSError as e:
        print(kind, "unreadable", type(e).__name__)
        count = 0
    print(kind, count)
    if count:
        print("HOST IPC VISIBLE", kind)
        break
else:
    print("IPC EMPTY")
