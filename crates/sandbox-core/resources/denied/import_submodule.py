# expect: blocked-import
# Submodules follow their package: `os.path` is `os`.
import os.path as p

print(p.exists("/etc/passwd"))
