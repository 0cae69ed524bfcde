# With the network on, the host's loopback stays out of reach by every name: the sandbox's 127.0.0.1 is its own, the
# helper's gateway (10.0.2.2, which stands for the host's loopback) and DNS alias (10.0.2.3) are refused, and so are
# 0.0.0.0 and the IPv4-mapped forms. The TCP and UDP canaries listen on every host address and must hear nothing.
# expect-status: ok
# expect-stdout: DONE
# forbid-stdout: REACHED
# network: on
# max-seconds: 8
import socket

for host in ("127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.2.2", "10.0.2.3", "10.0.2.100", "::ffff:127.0.0.1", "::1"):
    try:
        with socket.create_connection((host, {TCP_PORT}), timeout=2) as s:
            s.sendall(b"loopback")
            print("REACHED", host)
    except OSError as e:
        print("refused", host, e.errno)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as u:
        try:
            u.sendto(b"loopback", (host, {UDP_PORT}))
        except OSError as e:
            print("udp refused", host, e.errno)
print("DONE")
