# A daemon (double fork + setsid, stdout kept open) that outlives the program and acts 1 s after the run ended:
# it writes to the canary dir, /tmp and the work dir, and knocks on the canary sockets. It must be dead by then,
# and the run must not wait for it.
# expect-status: ok
# expect-stdout: PARENT EXITING
# forbid-stdout: DAEMON
# max-seconds: 3
# settle-seconds: 2
import ctypes
import os
import socket
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b"{PROC_NAME}", 0, 0, 0)  # PR_SET_NAME: the harness looks for it on the host
        time.sleep(1)
        for path in ("{CANARY_DIR}/daemon.txt", "/tmp/{MARKER}", "/sandbox/{MARKER}"):
            try:
                with open(path, "w") as f:
                    f.write("daemon was here")
            except OSError:
                pass
        for family, address in ((socket.AF_INET, ("127.0.0.1", {TCP_PORT})), (socket.AF_UNIX, "{UNIX_SOCKET}"),
                                (socket.AF_UNIX, "\0{ABSTRACT_SOCKET}")):
            try:
                socket.socket(family).connect(address)
            except OSError:
                pass
        print("DAEMON STILL ALIVE", flush=True)
        time.sleep(30)
        os._exit(0)
    os._exit(0)
os.wait()
print("PARENT EXITING", flush=True)
