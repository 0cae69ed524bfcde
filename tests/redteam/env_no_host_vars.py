# Read the environment: none of the host's variables (CARGO*, the host's PATH, HOME, USER...) may be there.
# Every variable is printed as `ENV name=value`, and the harness compares each with its own environment.
# expect-status: ok
# expect-stdout: ENV CLEAN
# forbid-stdout: LEAK
# check-env: yes
import os

host_names = set({HOST_ENV_NAMES})
interpreter = {INTERPRETER_PATHS}
system_dirs = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
for name, value in sorted(os.environ.items()):
    print(f"ENV {name}={value}")
leaks = [f"{name} (a host variable)" for name in sorted(os.environ) if name in host_names]
for name in ("{SECRET_ENV}", "CARGO", "CARGO_MANIFEST_DIR", "RUSTUP_HOME", "SSH_AUTH_SOCK"):
    if name in os.environ:
        leaks.append(f"{name} is set")
if os.environ.get("HOME") != "/sandbox":
    leaks.append(f"HOME={os.environ.get('HOME')}")
if os.environ.get("USER", "sandbox") == "root" or os.environ.get("LOGNAME", "sandbox") == "root":
    leaks.append("USER or LOGNAME is root")
for entry in os.environ.get("PATH", "").split(":"):
    if entry not in system_dirs and not any(entry == p or entry.startswith(p + "/") for p in interpreter):
        leaks.append(f"PATH entry {entry}")
for leak in leaks:
    print("LEAK", leak)
if not leaks:
    print("ENV CLEAN")
