# Read /proc/self/mountinfo: no mount may come from, or sit at, a host path such as /root, /home or the test's temp dir.
# expect-status: ok
# expect-stdout: MOUNTS CLEAN
# forbid-stdout: LEAK
# forbid-stdout: {FIXTURE_DIR}
# forbid-stdout: {WORK_ROOT}
interpreter = {INTERPRETER_PATHS}
suspicious = ("/root", "/home", "/run", "/var", "/srv", "/mnt", "/media", "/boot", "/work", "/old_root")


def host_path(path):
    if any(path == p or path.startswith(p + "/") for p in interpreter):
        return False
    return any(path == s or path.startswith(s + "/") for s in suspicious)


with open("/proc/self/mountinfo") as f:
    lines = f.read().splitlines()
leaks = 0
for line in lines:
    fields = line.split()
    root, mount_point = fields[3], fields[4]
    print(root, "on", mount_point)
    for path in (root, mount_point):
        if host_path(path):
            print("LEAK", path)
            leaks += 1
print(len(lines), "mounts")
if not leaks:
    print("MOUNTS CLEAN")
