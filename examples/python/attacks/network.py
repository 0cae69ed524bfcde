# Reach the internet: the sandbox has its own network namespace with no
# route out.
import socket
socket.create_connection(("1.1.1.1", 53), timeout=3)
print("connected")
