# Recreate the host's /tmp path of the canary dir and write there, and into /tmp and /dev/shm: it all lands in the
# sandbox's private tmpfs, never on the host.
# expect-status: ok
# expect-stdout: WROTE INSIDE THE PRIVATE TMP
import os

os.makedirs("{CANARY_DIR}", exist_ok=True)
with open("{CANARY_DIR}/pwned.txt", "w") as f:
    f.write("pwned")
for path in ("/tmp/{MARKER}", "/dev/shm/{MARKER}"):
    try:
        with open(path, "w") as f:
            f.write("pwned")
    except OSError as e:
        print(path, "->", type(e).__name__)
print(sorted(os.listdir("/tmp")))
print("WROTE INSIDE THE PRIVATE TMP")
