# With the network on, the program tries to delete the routes that refuse the host (netlink RTM_DELROUTE), add a
# route or an address of its own, and bring the helper's interface down: it has no CAP_NET_ADMIN, so each is refused
# and the host's address stays unreachable afterwards.
# expect-status: ok
# expect-stdout: delete refused
# expect-stdout: add refused
# expect-stdout: still refused 113
# forbid-stdout: CHANGED
# forbid-stdout: REACHED
# network: on
# max-seconds: 10
import socket
import struct


def request(kind, flags, family, dst_len, rtype, address):
    body = struct.pack("=BBBBBBBBI", family, dst_len, 0, 0, 254, 4, 0, rtype, 0)
    attr = struct.pack("=HH", 8, 1) + socket.inet_aton(address)
    header = struct.pack("=IHHII", 16 + len(body) + len(attr), kind, flags, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as nl:
        nl.send(header + body + attr)
        answer = nl.recv(4096)
    (error,) = struct.unpack_from("=i", answer, 16)
    return error


# RTM_DELROUTE of 0.0.0.0/0's siblings: the unreachable routes for the host's ranges.
for prefix, length in (("{HOST_ADDRESS}", 32), ("169.254.0.0", 16), ("10.0.0.0", 8), ("192.168.0.0", 16)):
    error = request(25, 0x1 | 0x4, socket.AF_INET, length, 7, prefix)
    print("delete refused" if error != 0 else "CHANGED delete %s" % prefix, error)
# RTM_NEWROUTE of a unicast route to the host's address through the helper.
error = request(24, 0x1 | 0x4 | 0x400 | 0x200, socket.AF_INET, 32, 1, "{HOST_ADDRESS}")
print("add refused" if error != 0 else "CHANGED add", error)
import fcntl

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    try:
        fcntl.ioctl(s.fileno(), 0x8914, struct.pack("16sh22x", b"tap0", 0))  # SIOCSIFFLAGS: down
        print("CHANGED interface down")
    except OSError as e:
        print("ioctl refused", e.errno)
try:
    with socket.create_connection(("{HOST_ADDRESS}", {TCP_PORT}), timeout=3):
        print("REACHED")
except OSError as e:
    print("still refused", e.errno)
