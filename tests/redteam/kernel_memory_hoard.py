# Hoard kernel memory that an address-space limit does not count: System V message queues filled to the brim and
# shared-memory segments touched and detached. Making System V objects is refused (without cgroups nothing else would
# bound them), whatever the isolation level.
# expect-status: ok
# expect-stdout: messages bounded
# expect-stdout: shared memory bounded
# forbid-stdout: UNBOUNDED
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_CREAT, IPC_NOWAIT = 0, 0o1000, 0o4000


class Message(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 8192)]


queued = 0
queues = 0
for _ in range(1000):
    queue = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
    if queue < 0:
        break
    queues += 1
    message = Message(1, b"x" * 8192)
    while libc.msgsnd(queue, ctypes.byref(message), 8192, IPC_NOWAIT) == 0:
        queued += 8192
print("queues", queues, "bytes queued", queued)
print("messages bounded" if queued <= 1 << 20 else "messages UNBOUNDED")

libc.shmat.restype = ctypes.c_void_p
total = 0
for _ in range(1000):
    segment = libc.shmget(IPC_PRIVATE, 4 << 20, IPC_CREAT | 0o600)
    if segment < 0:
        break
    address = libc.shmat(segment, None, 0)
    if address in (None, ctypes.c_void_p(-1).value):
        break
    ctypes.memset(address, 1, 4 << 20)
    libc.shmdt(ctypes.c_void_p(address))
    total += 4 << 20
print("shared memory held", total >> 20, "MiB;", os.strerror(ctypes.get_errno()))
print("shared memory bounded" if total <= 16 << 20 else "shared memory UNBOUNDED")
