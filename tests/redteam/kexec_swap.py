# kexec_load, kexec_file_load, swapon and swapoff through ctypes syscall(), with harmless arguments: EPERM from seccomp.
# expect-status: ok
# expect-stdout: kexec_load: ret=-1 errno=EPERM
# expect-stdout: kexec_file_load: ret=-1 errno=EPERM
# expect-stdout: swapon: ret=-1 errno=EPERM
# expect-stdout: swapoff: ret=-1 errno=EPERM
import ctypes
import errno
import os

numbers = {"x86_64": (246, 320, 167, 168), "aarch64": (104, 294, 224, 225)}[os.uname().machine]
kexec_nr, kexec_file_nr, swapon_nr, swapoff_nr = numbers
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def call(name, nr, *args):
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), *args)
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")


call("kexec_load", kexec_nr, ctypes.c_ulong(0), ctypes.c_ulong(0), None, ctypes.c_ulong(0xDEAD0000))
call("kexec_file_load", kexec_file_nr, ctypes.c_long(-1), ctypes.c_long(-1), ctypes.c_ulong(0), None, ctypes.c_ulong(0))
call("swapon", swapon_nr, b"/nonexistent-redteam-swap", ctypes.c_long(0))
call("swapoff", swapoff_nr, b"/nonexistent-redteam-swap")
