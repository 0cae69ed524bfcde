# Read the host name (uts namespace: it is `sandbox`) and try to change it.
# expect-status: ok
# expect-stdout: hostname=sandbox
# expect-stdout: nodename=sandbox
# expect-stdout: sethostname: ret=-1 errno=EPERM
# forbid-stdout: hostname={HOST_HOSTNAME}
import ctypes
import errno
import os
import socket

print(f"hostname={socket.gethostname()}")
print(f"nodename={os.uname().nodename}")
libc = ctypes.CDLL(None, use_errno=True)
ctypes.set_errno(0)
ret = libc.sethostname(b"pwned", 5)
err = ctypes.get_errno()
print(f"sethostname: ret={ret} errno={errno.errorcode.get(err, err)}")
