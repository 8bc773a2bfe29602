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
if [ "$(id -u)" -ne 0 ]; then
    # As `systemd-run --user --scope` would: this shell (and the launchers it starts) move into a scope
    # of their own inside the delegated service, so containers can go beside it.
    mkdir -p /sys/fs/cgroup$own/app.slice/limits-check.scope
    echo $$ > /sys/fs/cgroup$own/app.slice/limits-check.scope/cgroup.procs
    echo "+cpu +io +memory +pids" > /sys/fs/cgroup$own/cgroup.subtree_control # systemd enables them for its slices
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
fi
check own-cgroup "$own"

# 1. A 64 MiB allocation under a 32 MiB limit is OOM-killed and reported.
# dd is the container's init: its 64 MiB buffer cannot fit, so the kernel kills it.
bulwark run --root $state --id oom --memory 32m -- /bin/dd if=/dev/zero of=/dev/null bs=64M count=1 \
    > /tmp/oom.out 2> /tmp/oom.err
check oom-exit $?
check oom-stderr "$(grep -v warning /tmp/oom.err | head -1)"
check oom-message "$(grep -o 'container OOM-killed at 32 MiB' /tmp/oom.err)"

# 2. A fork loop stops at pids.max; seen from inside through the container's own cgroup namespace.
# The loop runs in a subshell (a shell that cannot fork gives up); the reads use builtins only.
bulwark run --root $state --id pids --pids 16 -- /bin/sh -c \
    '(i=0; while [ $i -lt 40 ]; do sleep 3 & i=$((i+1)); done) 2>/dev/null;
     read max < /sys/fs/cgroup/pids.max; echo $max;
     while read k v; do [ "$k" = max ] && echo "max $v"; done < /sys/fs/cgroup/pids.events;
     read cg < /proc/self/cgroup; echo $cg' \
    > /tmp/pids.out 2> /tmp/pids.err
check pids-exit $?
check pids-max "$(sed -n 1p /tmp/pids.out)"
check pids-events "$(sed -n 2p /tmp/pids.out)"
check pids-cgroup-ns "$(sed -n 3p /tmp/pids.out)"

# 3. cpu.max throttles a spinner.
bulwark run --root $state --id cpu --cpus 0.1 -- /bin/sh -c \
    'end=$(( $(date +%s) + 2 )); while [ $(date +%s) -lt $end ]; do :; done; grep nr_throttled /sys/fs/cgroup/cpu.stat' \
    > /tmp/cpu.out 2> /tmp/cpu.err
check cpu-exit $?
check cpu-throttled "$(awk '{print $2}' /tmp/cpu.out)"

# 4. bulwark stats reads a running container's cgroup from outside.
# The workload runs until /tmp/stats-gate/done appears (at most 10 minutes): a JVM starts in seconds
# under UML but may take half a minute under QEMU's TCG, so no fixed sleep fits both.
mkdir -p /tmp/stats-gate
bulwark run --root $state --id stats --memory 64m --pids 32 --mount /tmp/stats-gate:/gate -- /bin/sh -c \
    'echo started; i=0; while [ ! -e /gate/done ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done' \
    > /tmp/stats-run.out 2> /tmp/stats-run.err &
launcher=$!
# A JVM starts slowly in the VM: wait until the workload itself has spoken.
for i in $(seq 1200); do grep -q started /tmp/stats-run.out 2>/dev/null && break; sleep 0.25; done
bulwark stats --root $state stats > /tmp/stats.out 2> /tmp/stats.err
check stats-exit $?
touch /tmp/stats-gate/done
check stats-error "$(head -1 /tmp/stats.err)"
check stats-memory "$(grep -c '^memory.current' /tmp/stats.out)"
check stats-pids "$(grep -c '^pids.current' /tmp/stats.out)"
wait $launcher
check stats-run-exit $?
check stats-run-error "$(grep -v warning /tmp/stats-run.err | head -1)"

# 5. Nothing left: no container cgroups, no state directories.
left=$(find /sys/fs/cgroup -mindepth 1 -type d -name 'bulwark-*' ! -name bulwark-launcher ! -name bulwark-vm.scope 2>/dev/null;
       find /sys/fs/cgroup/bulwark -mindepth 1 -type d 2>/dev/null)
check cgroups-left "$(echo $left)"
check state-left "$(ls $state 2>/dev/null | tr '\n' ' ')"

# 6. A bad value is rejected naming its field, before anything is created.
bulwark run --root $state --id bad --pids -5 -- /bin/true > /dev/null 2> /tmp/bad.err
check bad-exit $?
check bad-message "$(head -1 /tmp/bad.err)"
