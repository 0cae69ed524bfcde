# Run a shell with subprocess.run('id', shell=True) and /bin/sh directly.
# expect-status: error
# expect-stdout: /bin/sh: blocked
# expect-stderr: OSError: [Errno 38] Function not implemented
# forbid-stdout: uid=
import subprocess

try:
    subprocess.run(["/bin/sh", "-c", "id"])
except OSError as e:
    print("/bin/sh: blocked", type(e).__name__)
subprocess.run("id", shell=True)
