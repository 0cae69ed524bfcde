# unshare() of every other namespace kind (mount, net, pid, ipc, uts, cgroup, time) through ctypes syscall().
# expect-status: ok
# expect-stdout: CLONE_NEWNS: ret=-1 errno=EPERM
# expect-stdout: CLONE_NEWNET: ret=-1 errno=EPERM
# expect-stdout: CLONE_NEWPID: ret=-1 errno=EPERM
# expect-stdout: CLONE_NEWIPC: ret=-1 errno=EPERM
# expect-stdout: CLONE_NEWUTS: ret=-1 errno=EPERM
# expect-stdout: CLONE_NEWCGROUP: ret=-1 errno=EPERM
# expect-stdout: CLONE_NEWTIME: ret=-1 errno=EPERM
# forbid-stdout: ret=0
import ctypes
import errno
import os

nr = {"x86_64": 272, "aarch64": 97}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
flags = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWNET": 0x40000000, "CLONE_NEWPID": 0x20000000,
         "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUTS": 0x04000000, "CLONE_NEWCGROUP": 0x02000000,
         "CLONE_NEWTIME": 0x00000080}
for name, flag in flags.items():
    ctypes.set_errno(0)
    ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(flag))
    err = ctypes.get_errno()
    print(f"{name}: ret={ret} errno={errno.errorcode.get(err, err)}")
