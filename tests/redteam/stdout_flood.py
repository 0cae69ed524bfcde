# Write 1 GB to stdout: stopped at the output cap, quickly, with the runner's memory bounded.
# expect-status: output_limit
# timeout: 30
# max-seconds: 5
import sys

chunk = b"x" * (1 << 20)
for _ in range(1024):
    sys.stdout.buffer.write(chunk)
print("FLOOD FINISHED", file=sys.stderr)
