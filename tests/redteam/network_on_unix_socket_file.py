# With the network on, the host's unix socket files are still invisible (network access is not filesystem access).
# expect-status: error
# expect-stderr: FileNotFoundError
# forbid-stdout: CONNECTED
# network: on
import socket

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("{UNIX_SOCKET}")
print("CONNECTED")
