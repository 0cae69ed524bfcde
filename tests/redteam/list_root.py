# List /root (the host admin's home: ssh keys, cargo credentials, shell history).
# Where the interpreter itself lives under /root (pyenv), only the directories
# leading to its prefix may be visible, nothing beside them.
# expect-status: ok
# expect-stdout: BLOCKED | ROOT HOLDS ONLY THE INTERPRETER
# forbid-stdout: LEAK
import os

interpreter = {INTERPRETER_PATHS}


def related(path):
    path = path.rstrip("/")
    return any(p == path or p.startswith(path + "/") or path.startswith(p + "/") for p in interpreter)


def walk(top):
    leaks = []
    for name in sorted(os.listdir(top)):
        path = os.path.join(top, name)
        if not related(path):
            leaks.append(path)
        elif not any(path == p or path.startswith(p + "/") for p in interpreter):
            leaks += walk(path)  # an ancestor of the prefix: look inside too
    return leaks


try:
    leaks = walk("/root")
except OSError as e:
    print("BLOCKED", type(e).__name__, e)
else:
    for leak in leaks:
        print("LEAK", leak)
    if not leaks:
        print("ROOT HOLDS ONLY THE INTERPRETER")
