# Read what /proc says of the host: its boot id and kernel command line, uptime, load, the host-wide counters of
# /proc/stat (a moving fork counter), memory totals, pressure and interrupt counters. The sandbox has views of its own
# and a time namespace (its clocks start at zero); what Python needs (os.cpu_count(), time.monotonic()) still works.
# expect-status: ok
# expect-stdout: boot id: own
# expect-stdout: cmdline: own
# expect-stdout: uptime: own
# expect-stdout: monotonic: own
# expect-stdout: loadavg: own
# expect-stdout: stat: own
# expect-stdout: meminfo: own
# expect-stdout: counters: own
# expect-stdout: cpu_count: works
# expect-stdout: process start: own
# forbid-stdout: HOST
import os
import time

host_boot_id = "{HOST_BOOT_ID}"
host_cmdline = "{HOST_CMDLINE}"


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return "unreadable: %s" % e


boot_id = read("/proc/sys/kernel/random/boot_id").strip()
print("boot id:", "HOST" if boot_id == host_boot_id else "own", boot_id)
cmdline = read("/proc/cmdline").strip()
print("cmdline:", "HOST" if host_cmdline and cmdline == host_cmdline else "own", repr(cmdline))
uptime = float(read("/proc/uptime").split()[0])
print("uptime:", "own" if uptime < 60 else "HOST", uptime)
monotonic = time.monotonic()
print("monotonic:", "own" if monotonic < 60 else "HOST", monotonic)
loadavg = read("/proc/loadavg")
print("loadavg:", "own" if loadavg.startswith("0.00 0.00 0.00 ") else "HOST", loadavg.strip())
stat = dict(line.split(None, 1) for line in read("/proc/stat").splitlines() if line.strip())
busy = int(stat.get("processes", "0")) > 64 or int(stat.get("ctxt", "0")) > 0
fresh_boot = abs(int(stat.get("btime", "0")) - time.time()) < 60
print("stat:", "own" if not busy and fresh_boot else "HOST", stat.get("processes"), stat.get("btime"))
total_kb = int(read("/proc/meminfo").split()[1])
print("meminfo:", "own" if total_kb <= 256 * 1024 else "HOST", total_kb)
leaks = []
for name in ("vmstat", "interrupts", "softirqs", "diskstats", "schedstat", "zoneinfo", "buddyinfo", "sys/fs/file-nr",
             "pressure/cpu", "pressure/memory", "pressure/io"):
    text = read("/proc/" + name)
    if text.startswith("unreadable"):
        continue
    numbers = [int(token) for token in text.replace("=", " ").split() if token.isdigit()]
    if sum(numbers) > 1000:
        leaks.append(name)
print("counters:", "HOST " + ", ".join(leaks) if leaks else "own")
# glibc counts the cpuN lines of the /proc/stat view (no /sys here): at least the CPUs this process may use.
usable = len(os.sched_getaffinity(0))
print("cpu_count:", "works" if (os.cpu_count() or 0) >= usable else "HOST broken", os.cpu_count(), usable)
ticks = os.sysconf("SC_CLK_TCK")
start = int(read("/proc/self/stat").rsplit(")", 1)[1].split()[19]) / ticks
print("process start:", "own" if start < 60 else "HOST", start)
