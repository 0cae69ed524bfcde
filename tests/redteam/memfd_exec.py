# Execute a binary from an anonymous memfd (no path on any filesystem, so path rules may not apply).
# If it runs, it must still be inside the sandbox: it cannot read the canary.
# Nothing is executed after the interpreter starts (the exec gate), whatever the runner's privileges.
# expect-status: ok
# expect-stdout: EXEC BLOCKED
# forbid-stdout: EXEC RAN UNCONTAINED
import os
import subprocess

try:
    fd = os.memfd_create("payload", 0)
    with open("/usr/bin/cat", "rb") as f:
        os.write(fd, f.read())
    run = subprocess.run([f"/proc/self/fd/{fd}", "{CANARY_FILE}"], capture_output=True, text=True, pass_fds=(fd,))
except OSError as e:
    print("EXEC BLOCKED", type(e).__name__, e)
else:
    print("memfd exit code", run.returncode, run.stderr.strip())
    print("EXEC RAN CONTAINED" if run.returncode != 0 and not run.stdout else "EXEC RAN UNCONTAINED " + run.stdout)
