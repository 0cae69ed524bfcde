# Read the parent's environment through /proc (the runner's, and the host test process's by its host pid).
# What is readable is printed as `ENV name=value`, and the harness compares each with its own environment.
# expect-status: ok
# expect-stdout: PARENT ENV CHECKED
# forbid-stdout: LEAK
# check-env: yes
import os

host_names = set({HOST_ENV_NAMES})
for label, pid in (("parent", os.getppid()), ("host test process", {HOST_PID})):
    if pid == 0:
        print(label, "not visible (ppid 0)")
        continue
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except OSError as e:
        print(label, "unreadable:", type(e).__name__)
        continue
    variables = [item.decode(errors="replace") for item in raw.split(b"\0") if item]
    print(label, "has", len(variables), "variables")
    for variable in variables:
        print("ENV", variable)
        name = variable.split("=", 1)[0]
        if name in host_names or name == "{SECRET_ENV}":
            print("LEAK", label, name)
print("PARENT ENV CHECKED")
