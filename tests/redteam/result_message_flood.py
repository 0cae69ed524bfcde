# Bloat the result instead of the output: thousands of files with 200-character names, so that a `message` listing
# every file left out would be megabytes long, past every output cap. The result must stay small.
# expect-status: ok
# expect-stdout: FILES CREATED
import os

created = 0
try:
    for i in range(8000):
        with open(f"{i:05d}-" + "n" * 194, "w"):
            created += 1
except OSError as e:
    print("stopped by", e)
print("FILES CREATED:", created)
