# List host directories that must not exist in the sandbox (/home, /run, /var, /srv, /mnt, /media, /boot, /opt, the repo).
# Only paths leading to the interpreter's prefix may show up.
# expect-status: ok
# expect-stdout: HOST DIRS HIDDEN
# forbid-stdout: LEAK
import os

interpreter = {INTERPRETER_PATHS}


def related(path):
    return any(p == path or p.startswith(path + "/") or path.startswith(p + "/") for p in interpreter)


leaks = []
for top in ("/home", "/run", "/var", "/srv", "/mnt", "/media", "/boot", "/opt", "/work", "/old_root"):
    try:
        names = os.listdir(top)
    except OSError as e:
        print(top, type(e).__name__)
        continue
    for name in names:
        path = os.path.join(top, name)
        if not related(path):
            leaks.append(path)
for leak in sorted(leaks):
    print("LEAK", leak)
if not leaks:
    print("HOST DIRS HIDDEN")
