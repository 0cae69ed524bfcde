# Watch the files bound from the host with inotify: the binds share the host's inodes, so watches would see opens
# and reads by host processes and other sandboxes. inotify is refused in the sandbox (fanotify is too).
# expect-status: ok
# expect-stdout: inotify refused
# forbid-stdout: WATCHING
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
if fd < 0:
    print("inotify refused:", os.strerror(ctypes.get_errno()))
else:
    for path in (b"/usr/bin", b"/usr/lib", b"/etc/ld.so.cache"):
        wd = libc.inotify_add_watch(fd, path, 0xFFF)
        print("WATCHING" if wd >= 0 else "watch refused", path, os.strerror(ctypes.get_errno()))
