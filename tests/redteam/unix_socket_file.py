# Connect to a unix socket the host test listens on, by its host path: the path does not exist in the sandbox.
# expect-status: error
# expect-stderr: FileNotFoundError
# forbid-stdout: CONNECTED
import socket

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("{UNIX_SOCKET}")
print("CONNECTED")
