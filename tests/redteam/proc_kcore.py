# Read kernel memory and addresses through /proc/kcore and /proc/kallsyms.
# expect-status: ok
# expect-stdout: kcore: blocked
# expect-stdout: KERNEL ADDRESSES HIDDEN
# forbid-stdout: LEAK
try:
    with open("/proc/kcore", "rb") as f:
        f.read(16)
    print("LEAK kcore readable")
except OSError as e:
    print("kcore: blocked", type(e).__name__)
try:
    with open("/proc/kallsyms") as f:
        addresses = [line.split()[0] for _, line in zip(range(1000), f)]
except OSError as e:
    print("kallsyms unreadable", type(e).__name__)
    addresses = []
if any(int(a, 16) != 0 for a in addresses):
    print("LEAK kernel addresses in /proc/kallsyms")
else:
    print("KERNEL ADDRESSES HIDDEN")
