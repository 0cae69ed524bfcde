# Read the host's password hashes in /etc/shadow.
# expect-status: error
# expect-stdout: BLOCKED
# expect-stderr: FileNotFoundError | PermissionError
# forbid-stdout: READ
try:
    with open("/etc/shadow") as f:
        print("READ", f.read())
except OSError as e:
    print("BLOCKED", type(e).__name__, e)
    raise
