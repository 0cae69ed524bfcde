# Write a copy of a shell where the program can write (the work dir, /tmp, /dev/shm, a memfd) and start it
# directly, through the dynamic loader, and with fexecve (execveat on the descriptor): every route is refused,
# and the written file cannot even be mapped executable (the writable mounts are noexec).
# expect-status: ok
# expect-stdout: /sandbox direct: blocked
# expect-stdout: /tmp loader: blocked
# expect-stdout: /dev/shm loader: blocked
# expect-stdout: memfd loader: blocked
# expect-stdout: memfd fexecve: blocked
# expect-stdout: /tmp mmap exec: blocked
# expect-stdout: /dev/shm mmap exec: blocked
# expect-stdout: /sandbox mmap exec: blocked
# forbid-stdout: RAN
# forbid-stdout: MAPPED
import glob
import mmap
import os
import subprocess

loader = sorted(glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*") + glob.glob("/usr/lib*/ld-linux*.so*"))[0]
with open("/bin/sh", "rb") as f:
    shell = f.read()


def attempt(label, argv, **kwargs):
    try:
        run = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    except OSError as e:
        print(label + ": blocked", type(e).__name__, e)
    else:
        print(label + ": RAN", run.returncode, run.stdout, run.stderr)


for directory in ("/sandbox", "/tmp", "/dev/shm"):
    path = os.path.join(directory, "mysh")
    with open(path, "wb") as f:
        f.write(shell)
    os.chmod(path, 0o755)
    attempt(directory + " direct", [path, "-c", "cat {CANARY_FILE}"])
    attempt(directory + " loader", [loader, path, "-c", "cat {CANARY_FILE}"])
    with open(path, "rb") as f:
        try:
            mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC)
            print(directory + " mmap exec: MAPPED")
        except OSError as e:
            print(directory + " mmap exec: blocked", e)

fd = os.memfd_create("payload", 0)
os.write(fd, shell)
try:
    os.fchmod(fd, 0o755)  # refused where memfds are created non-executable
except OSError as e:
    print("memfd chmod refused:", e)
attempt("memfd loader", [loader, f"/proc/self/fd/{fd}", "-c", "cat {CANARY_FILE}"], pass_fds=(fd,))
attempt("memfd direct", [f"/proc/self/fd/{fd}", "-c", "cat {CANARY_FILE}"], pass_fds=(fd,))
pid = os.fork()
if pid == 0:
    try:
        os.execve(fd, ["sh", "-c", "cat {CANARY_FILE}"], {})
    except OSError as e:
        print("memfd fexecve: blocked", type(e).__name__, e, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
