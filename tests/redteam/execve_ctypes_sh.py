# execve() /bin/sh and /usr/bin/sh straight through ctypes, bypassing Python's subprocess.
# expect-status: ok
# expect-stdout: /usr/bin/sh: ret=-1 errno=ENOSYS
# expect-stdout: /bin/sh: ret=-1 errno=ENOSYS
# forbid-stdout: ret=0
import ctypes
import errno

libc = ctypes.CDLL(None, use_errno=True)
argv = (ctypes.c_char_p * 4)(b"sh", b"-c", b"id", None)
envp = (ctypes.c_char_p * 1)(None)
for path in (b"/bin/sh", b"/usr/bin/sh"):
    ctypes.set_errno(0)
    ret = libc.execve(path, argv, envp)  # only returns on failure
    err = ctypes.get_errno()
    print(f"{path.decode()}: ret={ret} errno={errno.errorcode.get(err, err)}")
