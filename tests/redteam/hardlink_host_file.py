# Hard-link host files (the canary, the interpreter) into the work dir, where the collector would pick them up.
# expect-status: ok
# expect-stdout: canary: FileNotFoundError
# expect-stdout: interpreter: blocked
# forbid-stdout: LINKED
import os
import sys

try:
    os.link("{CANARY_FILE}", "hl_canary")
    print("LINKED canary")
except OSError as e:
    print("canary:", type(e).__name__)
try:
    os.link(os.path.realpath(sys.executable), "hl_interpreter")
    print("LINKED interpreter")
except OSError as e:
    print("interpreter: blocked", type(e).__name__, e)
