# TCP over IPv6 (::1 and the v4-mapped host loopback) with the network off: socket() itself is refused.
# expect-status: error
# expect-stderr: PermissionError: [Errno 1] Operation not permitted
# forbid-stdout: CONNECTED
import socket

s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(("::ffff:127.0.0.1", {TCP_PORT}))
print("CONNECTED")
