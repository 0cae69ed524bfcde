# Slip past the seccomp filter through the 32-bit int 0x80 entry on x86_64, where syscall numbers differ
# (i386 unshare is 310, socket is 359): a filter that does not check the architecture lets them through.
# Runs machine code from an executable mapping, in a child each, so a SIGSYS or SIGSEGV only ends the child.
# expect-status: ok
# expect-stdout: i386 unshare(CLONE_NEWUSER): BLOCKED
# expect-stdout: i386 socket(AF_INET): BLOCKED
# forbid-stdout: ALLOWED
import ctypes
import mmap
import os
import struct


def int80(nr, a, b, c):
    # push rbx; mov ebx, a; mov ecx, b; mov edx, c; mov eax, nr; int 0x80; pop rbx; ret
    code = (b"\x53" + b"\xbb" + struct.pack("<i", a) + b"\xb9" + struct.pack("<i", b) + b"\xba" + struct.pack("<i", c)
            + b"\xb8" + struct.pack("<i", nr) + b"\xcd\x80" + b"\x5b" + b"\xc3")
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    return ctypes.CFUNCTYPE(ctypes.c_int)(address)()


def attempt(label, nr, a, b, c):
    child = os.fork()
    if child == 0:
        try:
            ret = int80(nr, a, b, c)
        except OSError:
            os._exit(200)  # no writable+executable mapping: the code cannot even be placed
        os._exit(0 if ret >= 0 else min(-ret, 199))
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        print(f"{label}: BLOCKED (killed by signal {os.WTERMSIG(status)})")
    elif os.WEXITSTATUS(status) == 200:
        print(f"{label}: BLOCKED (no executable mapping)")
    elif os.WEXITSTATUS(status) == 0:
        print(f"{label}: ALLOWED")
    else:
        print(f"{label}: BLOCKED (errno {os.WEXITSTATUS(status)})")


if os.uname().machine != "x86_64":
    print("i386 unshare(CLONE_NEWUSER): BLOCKED (not x86_64)")
    print("i386 socket(AF_INET): BLOCKED (not x86_64)")
else:
    attempt("i386 unshare(CLONE_NEWUSER)", 310, 0x10000000, 0, 0)
    attempt("i386 socket(AF_INET)", 359, 2, 1, 0)
