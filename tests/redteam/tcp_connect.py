# TCP connect to the host's loopback canary listener with the network off: socket() itself is refused.
# expect-status: error
# expect-stderr: PermissionError: [Errno 1] Operation not permitted
# forbid-stdout: CONNECTED
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(("127.0.0.1", {TCP_PORT}))
print("CONNECTED")
