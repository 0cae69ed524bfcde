# With the network on, the host's abstract unix sockets (dbus, containerd, X11...) must still be out of reach.
# expect-status: error
# expect-stderr: PermissionError | ConnectionRefusedError
# forbid-stdout: CONNECTED
# network: on
import socket

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("\0{ABSTRACT_SOCKET}")
print("CONNECTED")
