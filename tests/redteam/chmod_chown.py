# chmod/chown tricks: make the interpreter setuid or take it over, give files to root, set a setuid bit in the work dir.
# expect-status: ok
# expect-stdout: chmod interpreter: blocked
# expect-stdout: chown interpreter: blocked
# expect-stdout: chown to root: blocked | chown to root: no effect
# expect-stdout: setuid bit is useless here
# forbid-stdout: ALLOWED
import os
import stat
import sys

python = os.path.realpath(sys.executable)
before = os.stat(python)
try:
    os.chmod(python, 0o4777)
    print("ALLOWED chmod interpreter")
    os.chmod(python, stat.S_IMODE(before.st_mode))
except OSError as e:
    print("chmod interpreter: blocked", type(e).__name__)
try:
    os.chown(python, os.getuid(), os.getgid())
    print("ALLOWED chown interpreter" if (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()) else "chown interpreter: blocked (no-op, already ours)")
except OSError as e:
    print("chown interpreter: blocked", type(e).__name__)
with open("mine", "w") as f:
    f.write("x")
try:
    os.chown("mine", 0, 0)
    print("chown to root: no effect (already uid 0 inside)" if os.getuid() == 0 else "ALLOWED chown to root")
except OSError as e:
    print("chown to root: blocked", type(e).__name__)
try:
    os.chmod("mine", 0o4755)
except OSError as e:
    print("chmod +s in work dir:", type(e).__name__)
with open("/proc/self/status") as f:
    nnp = [line.split()[1] for line in f if line.startswith("NoNewPrivs:")]
print("setuid bit is useless here" if nnp == ["1"] else "ALLOWED setuid could matter: NoNewPrivs=" + str(nnp))
