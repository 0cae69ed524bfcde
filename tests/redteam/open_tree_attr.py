# open_tree_attr(2) (Linux 6.15, number 467) through ctypes syscall(): a mount call newer than the seccomp filter's
# lists. Without a capability open_tree_attr(AT_FDCWD, "/", 0) still hands back an O_PATH descriptor, so only the
# filter's default answer for calls it does not know (ENOSYS, as on a kernel without it) stops it. Its sibling
# open_tree (428) is refused by name, with EPERM.
# expect-status: ok
# expect-stdout: open_tree_attr: ret=-1 errno=ENOSYS
# expect-stdout: open_tree: ret=-1 errno=EPERM
import ctypes
import errno

AT_FDCWD = -100
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(name, nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *args)
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")


# Both numbers are the same on every architecture (the unified table).
call("open_tree_attr", 467, ctypes.c_int(AT_FDCWD), b"/", ctypes.c_uint(0), None, ctypes.c_size_t(0))
call("open_tree", 428, ctypes.c_int(AT_FDCWD), b"/", ctypes.c_uint(0))
