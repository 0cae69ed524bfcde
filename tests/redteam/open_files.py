# Open files until the descriptor limit refuses: a readable "Too many open files" error, well before the host's limit.
# expect-status: error
# expect-stdout: REFUSED after
# expect-stderr: Too many open files
# forbid-stderr: _sandbox_main
import os

fds = []
try:
    while len(fds) < 1_000_000:
        fds.append(os.open("/dev/null", os.O_RDONLY))
    print("NO DESCRIPTOR LIMIT")
except OSError as e:
    print("REFUSED after", len(fds), "descriptors", flush=True)
    if len(fds) > 65536:
        print("LIMIT TOO HIGH")
    raise
