# With the network on and the host's address allowed, a daemonized grandchild (double fork + setsid) connects to the
# host TCP canary 1 s after the run ended. It must be dead by then: the canary stays untouched although the network
# would let it through.
# expect-status: ok
# expect-stdout: PARENT EXITING
# forbid-stdout: DAEMON
# network: on
# allow-host-address: yes
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
        try:
            socket.create_connection(("{HOST_ADDRESS}", {TCP_PORT}), timeout=2).sendall(b"daemon was here")
        except OSError:
            pass
        print("DAEMON STILL ALIVE", flush=True)
        time.sleep(30)
        os._exit(0)
    os._exit(0)
os.wait()
print("PARENT EXITING", flush=True)
