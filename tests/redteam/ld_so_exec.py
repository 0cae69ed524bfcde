# Run a host binary through the dynamic loader (ld.so /usr/bin/cat), which the kernel must be allowed to map for the
# interpreter itself. If the loader runs, the program it loads must still be inside the sandbox: it cannot read the canary.
# TIGHTEN: expect only "EXEC BLOCKED" once secure mode closes this path.
# expect-status: ok
# expect-stdout: EXEC BLOCKED | EXEC RAN CONTAINED
# forbid-stdout: EXEC RAN UNCONTAINED
import glob
import subprocess

loaders = sorted(glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*") + glob.glob("/usr/lib*/ld-linux*.so*"))
print("loaders:", loaders)
if not loaders:
    print("EXEC BLOCKED (no loader visible)")
else:
    try:
        run = subprocess.run([loaders[0], "/usr/bin/cat", "{CANARY_FILE}"], capture_output=True, text=True)
    except OSError as e:
        print("EXEC BLOCKED", type(e).__name__, e)
    else:
        print("loader exit code", run.returncode, run.stderr.strip())
        print("EXEC RAN CONTAINED" if run.returncode != 0 and not run.stdout else "EXEC RAN UNCONTAINED " + run.stdout)
