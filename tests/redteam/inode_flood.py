# Inode flood: create empty files in /tmp until the tmpfs runs out of inodes (at most 200 000 tried).
# expect-status: error
# expect-stdout: OUT OF INODES after
# expect-stderr: No space left on device
# memory-mb: 512
# timeout: 30
# max-seconds: 30
import os

os.mkdir("/tmp/inodes")
count = 0
try:
    while count < 200_000:
        os.close(os.open(f"/tmp/inodes/{count}", os.O_WRONLY | os.O_CREAT, 0o644))
        count += 1
    print("NO INODE CAP: created", count, "files")
except OSError as e:
    print("OUT OF INODES after", count, "files:", e, flush=True)
    raise
