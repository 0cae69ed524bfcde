# Climb out of the work dir with ../ chains towards the canary (on the host it sits three levels above the work dir).
# expect-status: ok
# expect-stdout: TRAVERSAL FOUND NOTHING
# forbid-stdout: READ
import os

found = False
for depth in range(1, 9):
    for target in ("secret.txt", "{CANARY_FILE}".lstrip("/")):
        path = "../" * depth + target
        try:
            with open(path) as f:
                print("READ", path, f.read())
                found = True
        except OSError:
            pass
print("cwd is", os.getcwd())
if not found:
    print("TRAVERSAL FOUND NOTHING")
