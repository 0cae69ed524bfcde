# With the network on and the host's address allowed by the operator, the host's TCP canary IS reachable there: the
# switch and the allow-list work.
# expect-status: ok
# expect-stdout: CONNECTED
# network: on
# allow-host-address: yes
# tcp-canary: reached
import socket

with socket.create_connection(("{HOST_ADDRESS}", {TCP_PORT}), timeout=5) as s:
    s.sendall(b"hello from the sandbox")
print("CONNECTED")
