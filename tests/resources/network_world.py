"""The world around a sandbox server, for tests/network.rs.

Run as root inside the network namespace the test made, where the
namespace's loopback holds every address the test uses. It serves TCP on
every address (logging the address each connection reached), answers DNS
on the test's resolver address (`service.test` is 10.77.0.1, other names do
not exist), then sends the probe to the server `runs` times and prints one
JSON object: the results, what the listener and the resolver saw, and the
server's pool hits.

    network_world.py TCP_PORT RESOLVER SERVER_PORT PROBE RUNS
"""

import json
import socket
import struct
import sys
import threading
import time
import urllib.request

port, resolver, server_port, probe_path, runs = sys.argv[1:6]
port, server_port, runs = int(port), int(server_port), int(runs)
reached = []
queries = []


def serve_tcp(listener):
    while True:
        conn, _ = listener.accept()
        local = conn.getsockname()[0]
        reached.append(local)
        try:
            conn.sendall(b"hello " + local.encode() + b"\n")
        finally:
            conn.close()


def serve_dns(sock):
    while True:
        data, peer = sock.recvfrom(4096)
        labels, at = [], 12
        while at < len(data) and data[at]:
            labels.append(data[at + 1 : at + 1 + data[at]].decode("ascii", "replace"))
            at += 1 + data[at]
        question = data[12 : at + 5]
        name = ".".join(labels)
        queries.append(name)
        if name == "service.test":
            header = data[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
            answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("10.77.0.1")
        else:
            header = data[:2] + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0)
            answer = b""
        sock.sendto(header + question + answer, peer)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", port))
listener.listen(64)
threading.Thread(target=serve_tcp, args=(listener,), daemon=True).start()
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind((resolver, 53))
threading.Thread(target=serve_dns, args=(dns,), daemon=True).start()

base = "http://127.0.0.1:%d" % server_port
deadline = time.monotonic() + 30
while True:
    try:
        urllib.request.urlopen(base + "/healthz", timeout=2).read()
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)


def metric(name):
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "_total "):
            return float(line.split()[1])
    return None


# A pooled server runs the probe in a prepared sandbox once one is ready.
if metric("sandbox_pool_size"):
    deadline = time.monotonic() + 30
    while not metric("sandbox_pool_ready") and time.monotonic() < deadline:
        time.sleep(0.05)

code = open(probe_path).read()
results = []
for _ in range(runs):
    request = urllib.request.Request(
        base + "/execute",
        data=json.dumps({"code": code, "allow_network": True, "timeout": 20}).encode(),
        headers={"content-type": "application/json"},
    )
    results.append(json.load(urllib.request.urlopen(request, timeout=60)))
print(json.dumps({"results": results, "reached": reached, "queries": queries, "pool_hits": metric("sandbox_pool_hits")}))
