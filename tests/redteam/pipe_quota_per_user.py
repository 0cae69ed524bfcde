# Two sandboxes at once under one runner: one takes the whole per-user pipe-buffer quota of its host user (sizing pipes
# to 1 MiB until the kernel refuses), the other then sizes a pipe of its own. The kernel counts that quota (and the
# process count, inotify watches, message queues) per host user, so each sandbox must be a host user of its own: a
# root runner maps each to its own id of a reserved range.
# expect-status: ok
# expect-stdout: DONE
# forbid-stdout: STARVED
# forbid-stdout: HOG FAILED
# concurrent: 2
# tier: root
# max-seconds: 10
import fcntl
import os
import time

F_SETPIPE_SZ = 1031
start = time.time()
if "{SELF_TAG}" < "{PEER_TAG}":
    held = []
    try:
        while True:
            r, w = os.pipe()
            held.append((r, w))
            fcntl.fcntl(w, F_SETPIPE_SZ, 1 << 20)
    except OSError as e:
        # EPERM: over the host user's soft quota (16384 pages by default).
        print("quota reached" if e.errno == 1 else "HOG FAILED", len(held), e.errno)
    time.sleep(3)
else:
    time.sleep(1.5)
    r, w = os.pipe()
    try:
        fcntl.fcntl(w, F_SETPIPE_SZ, 1 << 20)
        print("sized a pipe of its own")
    except OSError as e:
        print("STARVED", e.errno)
print(f"WINDOW {start:.3f} {time.time():.3f}")
print("DONE")
