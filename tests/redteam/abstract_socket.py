# Connect to an abstract unix socket the host test listens on: abstract names belong to the network namespace.
# expect-status: error
# expect-stderr: ConnectionRefusedError | PermissionError
# forbid-stdout: CONNECTED
import socket

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("\0{ABSTRACT_SOCKET}")
print("CONNECTED")
