# UDP datagram to the host's loopback canary with the network off: socket() itself is refused.
# expect-status: error
# expect-stderr: PermissionError: [Errno 1] Operation not permitted
# forbid-stdout: SENT
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"exfiltrated", ("127.0.0.1", {UDP_PORT}))
print("SENT")
