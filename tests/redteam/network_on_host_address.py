# With the network on, the host's own address (here {HOST_ADDRESS}) is refused by route, for TCP and UDP: services
# the host binds to every address stay out of reach, not only its loopback.
# expect-status: ok
# expect-stdout: tcp refused 113
# expect-stdout: udp refused 113
# forbid-stdout: REACHED
# network: on
# max-seconds: 10
import socket

try:
    with socket.create_connection(("{HOST_ADDRESS}", {TCP_PORT}), timeout=3) as s:
        s.sendall(b"host address")
        print("REACHED")
except OSError as e:
    print("tcp refused", e.errno)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
    try:
        u.sendto(b"host address", ("{HOST_ADDRESS}", {UDP_PORT}))
        print("REACHED udp")
    except OSError as e:
        print("udp refused", e.errno)
