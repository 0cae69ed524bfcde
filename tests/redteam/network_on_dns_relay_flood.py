# With the network on, the program floods the runner's DNS relay (its resolver on 127.0.0.53) with malformed
# datagrams (short ones, answers instead of questions, and the largest a datagram can be). The relay drops them (it
# carries queries only, at most 8 at a time, none of these) and the runner serving other sandboxes stays up; the
# sandbox's own resolver still answers for its hosts file afterwards.
# expect-status: ok
# expect-stdout: FLOODED 30000
# expect-stdout: localhost 127.0.0.1
# network: on
# host-responsive: yes
# max-seconds: 20
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
sent = 0
payloads = [b"", b"x", b"\x12\x34" * 5, b"\x12\x34\x81\x80" + b"\x00" * 8, b"\x00\x01\x80\x00" + b"A" * 65503]
for i in range(30000):
    try:
        s.sendto(payloads[i % len(payloads)], ("127.0.0.53", 53))
    except BlockingIOError:
        pass
    sent += 1
print("FLOODED", sent)
print("localhost", socket.gethostbyname("localhost"))
