# Two sandboxes run this at the same time. Each marks its /sandbox, /tmp, process name and an abstract socket, then
# searches /sandbox, /tmp, /proc and /proc/net/unix for 2.5 s: it finds its own marks and never the other's.
# expect-status: ok
# expect-stdout: SELF FOUND
# expect-stdout: PEER NOT FOUND
# forbid-stdout: PEER FOUND
# concurrent: 2
# max-seconds: 8
import ctypes
import os
import socket
import time

self_tag, peer_tag = "{SELF_TAG}", "{PEER_TAG}"
start = time.time()
for directory in ("/sandbox", "/tmp"):
    with open(os.path.join(directory, self_tag), "w") as f:
        f.write(self_tag)
ctypes.CDLL(None).prctl(15, self_tag.encode(), 0, 0, 0)  # PR_SET_NAME
listener = socket.socket(socket.AF_UNIX)
listener.bind("\0" + self_tag)
listener.listen()


def look():
    texts = []
    for top in ("/sandbox", "/tmp"):
        for root, dirs, files in os.walk(top):
            texts += dirs + files
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            for entry in ("comm", "cmdline", "environ"):
                try:
                    with open(f"/proc/{pid}/{entry}", "rb") as f:
                        texts.append(f.read().decode(errors="replace"))
                except OSError:
                    pass
    try:
        with open("/proc/net/unix") as f:
            texts.append(f.read())
    except OSError:
        pass
    return {tag for tag in (self_tag, peer_tag) if any(tag in text for text in texts)}


seen = set()
while time.time() < start + 2.5:
    seen |= look()
    time.sleep(0.1)
print("SELF FOUND" if self_tag in seen else "SELF MISSING")
print("PEER FOUND" if peer_tag in seen else "PEER NOT FOUND")
print(f"WINDOW {start:.3f} {time.time():.3f}")
