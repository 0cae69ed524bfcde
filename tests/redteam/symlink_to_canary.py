# Plant symlinks in the work dir pointing at the host canary (absolute, relative, whole dir) and read them;
# they stay behind for the output-file collector, which must not follow them either.
# expect-status: ok
# expect-stdout: LINKS LEAD NOWHERE
# forbid-stdout: READ
import os

links = {"abs_link": "{CANARY_FILE}", "dir_link": "{FIXTURE_DIR}", "proc_link": "/proc/1/root{CANARY_FILE}"}
for depth in range(1, 7):
    links[f"rel_link_{depth}"] = "../" * depth + "secret.txt"
readable = False
for name, target in links.items():
    os.symlink(target, name)
    try:
        if os.path.isdir(name):
            print("READ dir", name, os.listdir(name))
            readable = True
        else:
            with open(name) as f:
                print("READ", name, f.read())
                readable = True
    except OSError as e:
        print(name, "->", type(e).__name__)
if not readable:
    print("LINKS LEAD NOWHERE")
