# Open a netlink socket (routing, firewall and uevent control) with the network off.
# expect-status: error
# expect-stderr: PermissionError: [Errno 1] Operation not permitted
# forbid-stdout: OPENED
import socket

socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
print("OPENED")
