# Fill /tmp with 32 MiB files (each under the file-size limit) until its tmpfs is full; the host's /tmp is untouched.
# The memory limit is set high so the size cap of the tmpfs, not the memory cgroup, is what stops it.
# expect-status: error
# expect-stdout: FULL after
# expect-stderr: No space left on device
# memory-mb: 1024
# timeout: 30
# max-seconds: 30
import os

chunk = b"\xbb" * (4 << 20)
written = 0
names = []
try:
    while written < (4 << 30):
        name = "/tmp/{MARKER}-" + str(len(names)) + ".bin"
        names.append(name)
        with open(name, "wb") as f:
            for _ in range(8):
                f.write(chunk)
                f.flush()
                written += len(chunk)
    print("NO SIZE CAP: wrote", written >> 20, "MiB")
except OSError as e:
    print("FULL after", written >> 20, "MiB:", e, flush=True)
    raise
finally:
    for name in names:
        try:
            os.remove(name)
        except OSError:
            pass
