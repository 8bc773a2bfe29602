#!/bin/sh
# Runs inside the pure cgroup v2 VM (bulwark-vm run -- ...), as root or as a user with a delegated
# cgroup: launches real containers with the Bulwark CLI and prints one "CHECK name=value" line per
# observation for the host-side test (ContainerLimitsInVmTest) to assert on.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
state=/tmp/bulwark-vm-state
bulwark() {
    java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Djava.io.tmpdir=/tmp \
        -cp "$repo/launcher/target/launcher-0.1.0-SNAPSHOT.jar:$repo/launcher/target/lib/*" \
        dev.bulwark.launcher.cli.BulwarkCli "$@"
}
check() { echo "CHECK $1=$2"; }
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
check own-cgroup "$own"

# 1. A 64 MiB allocation under a 32 MiB limit is OOM-killed and reported.
bulwark run --root $state --id oom --memory 32m -- /bin/sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo survived' \
    > /tmp/oom.out 2> /tmp/oom.err
check oom-exit $?
check oom-message "$(grep -o 'container OOM-killed at 32 MiB' /tmp/oom.err)"
check oom-survived "$(cat /tmp/oom.out)"

# 2. A fork loop stops at pids.max; seen from inside through the container's own cgroup namespace.
bulwark run --root $state --id pids --pids 16 -- /bin/sh -c \
    'for i in $(seq 40); do sleep 3 & done 2>/dev/null; cat /sys/fs/cgroup/pids.max; grep max /sys/fs/cgroup/pids.events; cat /proc/self/cgroup' \
    > /tmp/pids.out 2>&1
check pids-exit $?
check pids-max "$(sed -n 1p /tmp/pids.out)"
check pids-events "$(sed -n 2p /tmp/pids.out)"
check pids-cgroup-ns "$(sed -n 3p /tmp/pids.out)"

# 3. cpu.max throttles a spinner.
bulwark run --root $state --id cpu --cpus 0.1 -- /bin/sh -c \
    'end=$(( $(date +%s) + 2 )); while [ $(date +%s) -lt $end ]; do :; done; grep nr_throttled /sys/fs/cgroup/cpu.stat' \
    > /tmp/cpu.out 2>&1
check cpu-exit $?
check cpu-throttled "$(awk '{print $2}' /tmp/cpu.out)"

# 4. bulwark stats reads a running container's cgroup from outside.
bulwark run --root $state --id stats --memory 64m --pids 32 -- /bin/sh -c 'sleep 8' > /dev/null 2>&1 &
launcher=$!
for i in $(seq 100); do [ -f $state/stats/state.json ] && grep -q running $state/stats/state.json && break; sleep 0.1; done
bulwark stats --root $state stats > /tmp/stats.out 2>&1
check stats-exit $?
check stats-memory "$(grep -c '^memory.current' /tmp/stats.out)"
check stats-pids "$(grep -c '^pids.current' /tmp/stats.out)"
wait $launcher
check stats-run-exit $?

# 5. Nothing left: no container cgroups, no state directories.
left=$(find /sys/fs/cgroup -mindepth 1 -type d -name 'bulwark-*' ! -name bulwark-launcher ! -name bulwark-vm.scope 2>/dev/null;
       find /sys/fs/cgroup/bulwark -mindepth 1 -type d 2>/dev/null)
check cgroups-left "$(echo $left)"
check state-left "$(ls $state 2>/dev/null | tr '\n' ' ')"

# 6. A bad value is rejected naming its field, before anything is created.
bulwark run --root $state --id bad --pids 0 -- /bin/true > /dev/null 2> /tmp/bad.err
check bad-exit $?
check bad-message "$(head -1 /tmp/bad.err)"
