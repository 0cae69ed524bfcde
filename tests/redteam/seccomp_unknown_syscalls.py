# System calls the seccomp filter does not know: the newest ones (file_getattr and file_setattr, Linux 6.17,
# numbers 468 and 469) and numbers past the highest the kernel has. Each must answer ENOSYS (the filter's default,
# so the C library falls back as on an older kernel), never kill the program or reach the kernel.
# expect-status: ok
# expect-stdout: 468: ret=-1 errno=ENOSYS
# expect-stdout: 469: ret=-1 errno=ENOSYS
# expect-stdout: 470: ret=-1 errno=ENOSYS
# expect-stdout: 511: ret=-1 errno=ENOSYS
# expect-stdout: 600: ret=-1 errno=ENOSYS
# expect-stdout: 4095: ret=-1 errno=ENOSYS
# expect-stdout: ALL ENOSYS
import ctypes
import errno

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
answers = set()
for nr in (468, 469, 470, 471, 480, 500, 511, 600, 1000, 4095):
    ctypes.set_errno(0)
    # AT_FDCWD and "/" first, as file_getattr takes them.
    ret = libc.syscall(ctypes.c_long(nr), ctypes.c_int(-100), b"/", None, ctypes.c_size_t(0), ctypes.c_uint(0))
    err = ctypes.get_errno()
    name = errno.errorcode.get(err, err)
    answers.add((ret, name))
    print(f"{nr}: ret={ret} errno={name}")
print("ALL ENOSYS" if answers == {(-1, "ENOSYS")} else f"OTHER ANSWERS {sorted(answers, key=str)}")
