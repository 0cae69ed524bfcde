# Look through /dev for host devices (disks, /dev/mem, /dev/kmsg, ttys): only null, zero, random, urandom belong there.
# expect-status: ok
# expect-stdout: DEV MINIMAL
# forbid-stdout: LEAK
import os
import stat

allowed = {"null", "zero", "random", "urandom", "full", "tty", "ptmx"}
leaks = []
for root, dirs, files in os.walk("/dev"):
    for name in dirs + files:
        path = os.path.join(root, name)
        mode = os.lstat(path).st_mode
        if stat.S_ISBLK(mode) or (stat.S_ISCHR(mode) and name not in allowed):
            leaks.append(path)
print("entries:", " ".join(sorted(os.listdir("/dev"))))
for leak in leaks:
    print("LEAK", leak)
if not leaks:
    print("DEV MINIMAL")
