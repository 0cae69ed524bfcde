# Control: what secure mode must still allow. The work dir is /sandbox (cwd and HOME) and writable, /tmp is writable,
# processes fork (nothing is executed after the interpreter starts, not even the interpreter), AF_UNIX sockets work, stdin is empty. Attacks prove nothing if normal code fails too.
# expect-status: ok
# expect-stdout: cwd=/sandbox
# expect-stdout: home=/sandbox
# expect-stdout: work dir writable
# expect-stdout: tmp writable
# expect-stdout: forked child says hi
# expect-stdout: socketpair works
# expect-stdout: stdin empty
import os
import socket
import sys

print(f"cwd={os.getcwd()}")
print(f"home={os.path.expanduser('~')}")
with open("out.txt", "w") as f:
    f.write("ok")
print("work dir writable" if open("/sandbox/out.txt").read() == "ok" else "work dir broken")
with open("/tmp/scratch", "w") as f:
    f.write("ok")
print("tmp writable" if open("/tmp/scratch").read() == "ok" else "tmp broken")
pid = os.fork()
if pid == 0:
    print("forked child says hi", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
a, b = socket.socketpair()
a.sendall(b"ping")
print("socketpair works" if b.recv(4) == b"ping" else "socketpair broken")
print("stdin empty" if sys.stdin.read() == "" else "stdin NOT EMPTY")
