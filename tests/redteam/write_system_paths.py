# Create files in the host's /, /root, /etc, /home, /var/tmp, /proc and /sys.
# expect-status: ok
# expect-stdout: NOTHING WRITTEN
# forbid-stdout: WROTE
import os

wrote = False
for top in ("/", "/root", "/etc", "/home", "/var/tmp", "/proc", "/sys"):
    path = os.path.join(top, "{MARKER}")
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        print("WROTE", path)
        wrote = True
    except OSError as e:
        print(path, "->", type(e).__name__)
if not wrote:
    print("NOTHING WRITTEN")
