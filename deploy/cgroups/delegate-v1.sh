#!/usr/bin/env bash
# Gives one container a cgroup v1 subtree of its own, so sandbox-server can
# create a memory and a pids group per run (isolation `full`) instead of
# falling back to rlimits (`no-cgroups`). Run as root on the host, once per
# container, before starting it:
#
#     deploy/cgroups/delegate-v1.sh NAME UID MEMORY_BYTES PIDS_MAX
#
# It creates /sys/fs/cgroup/{memory,pids}/NAME with the container's limits
# (the container cannot raise them: the limit files stay root's), and makes
# the directory, its `tasks` and `cgroup.procs` the container user's, so the
# user can create child groups and move processes into them but nothing
# else. Then start the container with:
#
#     --cgroupns private --cgroup-parent /NAME \
#     -v /sys/fs/cgroup/memory/NAME:/sys/fs/cgroup/memory:rw \
#     -v /sys/fs/cgroup/pids/NAME:/sys/fs/cgroup/pids:rw \
#     -e SANDBOX_ISOLATION=full
#
# Never mount the host's /sys/fs/cgroup read-write into a container: with a
# private cgroup namespace it would still reach the host's root groups (and
# `release_agent`). cgroup v1 has no delegation boundary of its own, which is
# why each container gets a subtree an administrator made for it. See
# deploy/README.md, "Cgroups", for cgroup v2 hosts.
set -euo pipefail
name=${1:?usage: delegate-v1.sh NAME UID MEMORY_BYTES PIDS_MAX}
uid=${2:?uid of the container user}
memory=${3:?memory limit in bytes for the whole container}
pids=${4:?process limit for the whole container}
case $name in */*|.*|'') echo "delegate-v1.sh: NAME must be a plain name" >&2; exit 2 ;; esac
for controller in memory pids; do
    base=/sys/fs/cgroup/$controller
    if [ ! -e "$base/tasks" ]; then
        echo "delegate-v1.sh: no cgroup v1 $controller hierarchy at $base" >&2
        exit 1
    fi
    mkdir -p "$base/$name"
    chown "$uid" "$base/$name" "$base/$name/tasks" "$base/$name/cgroup.procs"
done
echo "$memory" > "/sys/fs/cgroup/memory/$name/memory.limit_in_bytes"
# Swap counted too, where the kernel accounts it.
if [ -e "/sys/fs/cgroup/memory/$name/memory.memsw.limit_in_bytes" ]; then
    echo "$memory" > "/sys/fs/cgroup/memory/$name/memory.memsw.limit_in_bytes"
fi
echo "$pids" > "/sys/fs/cgroup/pids/$name/pids.max"
echo "delegated /sys/fs/cgroup/{memory,pids}/$name to uid $uid"
