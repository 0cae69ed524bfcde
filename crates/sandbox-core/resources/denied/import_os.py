# expect: blocked-import
# The original's first blocked module: the host's operating system.
import os

os.system("id")
