# Read /proc/net for the host's sockets: the canary TCP port, the host unix socket and abstract name must not show.
# expect-status: ok
# expect-stdout: NETWORK STATE PRIVATE
# forbid-stdout: VISIBLE
# forbid-stdout: {UNIX_SOCKET}
# forbid-stdout: {ABSTRACT_SOCKET}
port = ":%04X" % {TCP_PORT}
visible = False
for name in ("tcp", "tcp6", "udp", "udp6"):
    try:
        with open("/proc/net/" + name) as f:
            text = f.read()
    except OSError as e:
        print(name, "unreadable", type(e).__name__)
        continue
    if port in text or ":%04X" % {UDP_PORT} in text:
        print("CANARY PORT VISIBLE in /proc/net/" + name)
        visible = True
try:
    with open("/proc/net/unix") as f:
        unix = f.read()
except OSError as e:
    print("unix unreadable", type(e).__name__)
    unix = ""
for line in unix.splitlines()[1:]:
    print(line.split()[-1] if len(line.split()) > 7 else "(unnamed)")
if not visible:
    print("NETWORK STATE PRIVATE")
