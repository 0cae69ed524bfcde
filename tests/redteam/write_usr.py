# Write into the read-only system and interpreter binds: /usr, the interpreter binary, its stdlib.
# expect-status: ok
# expect-stdout: READ-ONLY EVERYWHERE
# forbid-stdout: WRITABLE
import os
import sys

targets = [
    ("create", "/usr/{MARKER}"),
    ("create", "/usr/lib/{MARKER}"),
    ("open", os.path.realpath(sys.executable)),
    ("open", os.__file__),
    ("create", os.path.join(os.path.dirname(os.__file__), "{MARKER}.py")),
]
writable = False
for how, path in targets:
    try:
        # Opening for writing proves the point; nothing is ever written to an existing file.
        flags = os.O_WRONLY | (os.O_CREAT | os.O_EXCL if how == "create" else os.O_APPEND)
        os.close(os.open(path, flags, 0o644))
        print("WRITABLE", path)
        writable = True
    except OSError as e:
        print(path, "->", type(e).__name__)
if not writable:
    print("READ-ONLY EVERYWHERE")
