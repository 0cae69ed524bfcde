# With the network on, cloud metadata endpoints (169.254.169.254, 100.100.100.200, fd00:ec2::254), private ranges,
# multicast and broadcast are refused by route, at once (no connection attempt leaves the sandbox).
# expect-status: ok
# expect-stdout: ALL REFUSED
# forbid-stdout: REACHED
# network: on
# max-seconds: 10
import errno
import socket

refused = 0
targets = ["169.254.169.254", "169.254.170.2", "100.100.100.200", "10.0.0.1", "172.16.0.1", "192.168.0.1",
           "192.0.0.192", "198.18.0.1", "0.1.2.3"]
for host in targets:
    try:
        with socket.create_connection((host, 80), timeout=2):
            print("REACHED", host)
    except OSError as e:
        if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            refused += 1
        else:
            print("unexpected", host, e)
for host in ["224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1"]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        try:
            u.sendto(b"x", (host, 1900))
            print("REACHED", host)
        except OSError as e:
            refused += e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH)
try:
    socket.create_connection(("fd00:ec2::254", 80), timeout=2)
    print("REACHED fd00:ec2::254")
except OSError:
    refused += 1
if refused == 14:
    print("ALL REFUSED")
else:
    print("refused", refused, "of 14")
