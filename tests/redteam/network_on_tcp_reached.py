# With the network on, the host's loopback TCP canary IS reachable: the switch works both ways.
# expect-status: ok
# expect-stdout: CONNECTED
# network: on
# tcp-canary: reached
import socket

with socket.create_connection(("127.0.0.1", {TCP_PORT}), timeout=5) as s:
    s.sendall(b"hello from the sandbox")
print("CONNECTED")
