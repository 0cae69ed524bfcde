# Resolve a name (DNS is a classic exfiltration channel) with the network off.
# expect-status: error
# expect-stderr: socket.gaierror
# forbid-stdout: RESOLVED
import socket

print("RESOLVED", socket.getaddrinfo("example.com", 80))
