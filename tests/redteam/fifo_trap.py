# Leave traps for the host-side output-file collector: a FIFO (opening it blocks forever), a unix socket, a device node, a sparse file.
# The run must still end promptly, with only regular files collected.
# expect-status: ok
# expect-stdout: TRAPS SET
# max-seconds: 5
import os
import socket
import stat

os.mkfifo("trap.fifo")
s = socket.socket(socket.AF_UNIX)
s.bind("trap.sock")
try:
    os.mknod("trap.dev", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    print("mknod allowed")
except OSError as e:
    print("mknod:", type(e).__name__)
with open("sparse.bin", "wb") as f:
    f.truncate(32 << 20)
print("TRAPS SET")
