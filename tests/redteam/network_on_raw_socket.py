# With the network on, raw sockets (AF_PACKET) stay refused: network access is not packet forging.
# expect-status: error
# expect-stderr: PermissionError
# forbid-stdout: OPENED
# network: on
import socket

socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0x0300)
print("OPENED")
