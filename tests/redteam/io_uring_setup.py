# io_uring_setup(2) through ctypes syscall() (io_uring bypasses seccomp for the operations it runs): EPERM from seccomp.
# expect-status: ok
# expect-stdout: io_uring_setup: ret=-1 errno=EPERM
import ctypes
import errno

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(425), ctypes.c_uint(4), params)
err = ctypes.get_errno()
print(f"io_uring_setup: ret={ret} errno={errno.errorcode.get(err, err)}")
