# open_by_handle_at(2) (the "shocker" container escape: open any inode of a bind-mounted host filesystem by its
# handle, bypassing every path rule) through ctypes syscall(): refused with EPERM.
# expect-status: ok
# expect-stdout: open_by_handle_at: ret=-1 errno=EPERM
# forbid-stdout: open_by_handle_at: ret=0
import ctypes
import errno
import os

name_nr, open_nr = {"x86_64": (303, 304), "aarch64": (264, 265)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
handle = ctypes.create_string_buffer(8 + 128)  # struct file_handle: handle_bytes, handle_type, f_handle[128]
ctypes.c_uint.from_buffer(handle).value = 128
mount_id = ctypes.c_int(0)
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(name_nr), ctypes.c_long(-100), b"/usr", handle, ctypes.byref(mount_id), ctypes.c_long(0))
err = ctypes.get_errno()
print(f"name_to_handle_at(/usr): ret={ret} errno={errno.errorcode.get(err, err) if ret else 0}")
mount_fd = os.open("/usr", os.O_RDONLY | os.O_DIRECTORY)
ctypes.set_errno(0)
ret = libc.syscall(ctypes.c_long(open_nr), ctypes.c_long(mount_fd), handle, ctypes.c_long(os.O_RDONLY))
err = ctypes.get_errno()
print(f"open_by_handle_at: ret={-1 if ret < 0 else 0} errno={errno.errorcode.get(err, err) if ret < 0 else 0}")
