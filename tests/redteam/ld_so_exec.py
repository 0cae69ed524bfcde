# Run a host shell through the dynamic loader (ld.so /bin/sh), which the kernel must be allowed to map for the
# interpreter itself; and the interpreter again. Nothing is executed after the interpreter starts.
# expect-status: ok
# expect-stdout: loader: EXEC BLOCKED
# expect-stdout: interpreter: EXEC BLOCKED
# forbid-stdout: RAN
import glob
import subprocess
import sys

loaders = sorted(glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*") + glob.glob("/usr/lib*/ld-linux*.so*"))
print("loaders:", loaders)
for label, argv in (
    ("loader", [loaders[0], "/bin/sh", "-c", "cat {CANARY_FILE}"]),
    ("interpreter", [sys.executable, "-c", "print(open('{CANARY_FILE}').read())"]),
):
    try:
        run = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        print(label + ": EXEC BLOCKED", type(e).__name__, e)
    else:
        print(label + ": RAN", run.returncode, run.stdout, run.stderr)
