# Read a secret file the test planted on the host, by its absolute host path.
# expect-status: error
# expect-stderr: FileNotFoundError
# forbid-stdout: READ
with open("{CANARY_FILE}") as f:
    print("READ", f.read())
