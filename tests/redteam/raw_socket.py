# Raw sockets with the network off: AF_PACKET (sniff or forge frames) and AF_INET SOCK_RAW (ICMP).
# expect-status: error
# expect-stdout: AF_PACKET: PermissionError
# expect-stdout: AF_INET SOCK_RAW: PermissionError
# expect-stderr: PermissionError: [Errno 1] Operation not permitted
# forbid-stdout: OPENED
import socket

errors = []
for label, args in (("AF_PACKET", (socket.AF_PACKET, socket.SOCK_RAW, 0x0300)),
                    ("AF_INET SOCK_RAW", (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))):
    try:
        socket.socket(*args)
        print("OPENED", label)
    except OSError as e:
        print(f"{label}: {type(e).__name__}")
        errors.append(e)
if errors:
    raise errors[0]
