# Open kernel knobs for writing: core_pattern (a classic container escape), sysrq-trigger, hostname, drop_caches.
# Only opens them; nothing is ever written.
# expect-status: ok
# expect-stdout: KERNEL KNOBS READ-ONLY
# forbid-stdout: WRITABLE
import os

writable = False
for path in (
    "/proc/sys/kernel/core_pattern",
    "/proc/sysrq-trigger",
    "/proc/sys/kernel/hostname",
    "/proc/sys/vm/drop_caches",
    "/proc/sys/kernel/modprobe",
    "/sys/kernel/uevent_helper",
):
    try:
        os.close(os.open(path, os.O_WRONLY))
        print("WRITABLE", path)
        writable = True
    except OSError as e:
        print(path, "->", type(e).__name__)
if not writable:
    print("KERNEL KNOBS READ-ONLY")
