# Read the kernel log (syslog(2) through ctypes, /dev/kmsg): it holds host addresses and other tenants' traces.
# expect-status: ok
# expect-stdout: syslog: ret=-1 errno=EPERM
# expect-stdout: /dev/kmsg: blocked
import ctypes
import errno
import os

nr = {"x86_64": 103, "aarch64": 116}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(4096)
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(nr), ctypes.c_long(3), buf, ctypes.c_long(4096))  # SYSLOG_ACTION_READ_ALL
err = ctypes.get_errno()
print(f"syslog: ret={ret} errno={errno.errorcode.get(err, err)}")
try:
    with open("/dev/kmsg", "rb") as f:
        print("READ /dev/kmsg", f.read(64))
except OSError as e:
    print("/dev/kmsg: blocked", type(e).__name__)
