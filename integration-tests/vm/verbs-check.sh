#!/bin/sh
# runc's update, pause/resume and events on a pure cgroup v2 kernel (run inside bulwark-vm, as root or a delegated
# user): update changes pids.max, memory.max and cpu.max and the kernel enforces the new values (a fork beyond
# pids.max fails, a process beyond memory.max is OOM-killed and events reports it), events --stats reports the
# new limits in runc's JSON, pause freezes the cgroup and resume thaws it. Prints "verbs: ok" or why not.
set -u
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then # as limits-check.sh: a scope of its own in the delegated service, containers beside it
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    mkdir -p /sys/fs/cgroup$own/app.slice/verbs-check.scope
    echo $$ > /sys/fs/cgroup$own/app.slice/verbs-check.scope/cgroup.procs
    echo "+memory +pids +cpu" > /sys/fs/cgroup$own/cgroup.subtree_control
fi
state=$(mktemp -d /tmp/verbs.XXXXXX) && chmod 711 "$state"
b() { bin/bulwark --root "$state" "$@"; }
events_pid=
fail() {
    echo "verbs: FAIL: $*"
    [ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null
    b delete --force c >/dev/null 2>&1
    exit 1
}
b run --detach --id c --pids 50 --memory 128m --cpus 1 -- /bin/sleep 600 >/dev/null || fail "run --detach"
cg=$(b state c | sed -n 's/^  "cgroup" *: *"\([^"]*\)".*/\1/p')
[ -n "$cg" ] && [ -d "$cg" ] || fail "the container has no cgroup: $(b state c)"

b update --pids-limit 8 --memory 48m --cpu-quota 20000 c || fail "update"
[ "$(cat "$cg/pids.max")" = 8 ] || fail "pids.max is $(cat "$cg/pids.max"), not 8"
[ "$(cat "$cg/memory.max")" = $((48 * 1024 * 1024)) ] || fail "memory.max is $(cat "$cg/memory.max")"
[ "$(cat "$cg/cpu.max")" = "20000 100000" ] || fail "cpu.max is $(cat "$cg/cpu.max") (the period must be kept)"
echo '{"cpu": {"period": 50000}}' | b update --resources - c || fail "update --resources -"
[ "$(cat "$cg/cpu.max")" = "20000 50000" ] || fail "cpu.max is $(cat "$cg/cpu.max") (the quota must be kept)"

stats=$(b events --stats c) || fail "events --stats"
echo "$stats" | grep -q '"pids":{"current":[0-9]*,"limit":8}' || fail "events --stats pids: $stats"
echo "$stats" | grep -q '"usage":{"limit":50331648,' || fail "events --stats memory limit: $stats"

# pids.max 8: the init, exec's processes, the shell; ten more sleeps cannot all fork
forks=$(b exec c /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/sleep 20 & done; wait' 2>&1)
echo "$forks" | grep -qi "fork" || fail "pids.max 8 was not enforced: $forks"
b update --pids-limit 50 c || fail "update --pids-limit 50"

# memory.max 48M: a process that takes 96M is OOM-killed, and events reports it
b events --interval 200ms c > "$state/events.out" 2>&1 &
events_pid=$!
b exec c /usr/bin/python3 -c 'b = bytearray(96 << 20); print(len(b))' >/dev/null 2>&1
status=$?
[ "$status" = 137 ] || fail "the memory hog exited $status, not 137 (SIGKILL by the OOM killer)"
grep -q oom_kill "$cg/memory.events" && [ "$(sed -n 's/^oom_kill //p' "$cg/memory.events")" -ge 1 ] \
    || fail "memory.events: $(cat "$cg/memory.events")"
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q '"type":"oom"' "$state/events.out" && break; sleep 0.5; done
grep -q '{"type":"oom","id":"c"}' "$state/events.out" || fail "events printed no oom event: $(head -c 600 "$state/events.out")"

b pause c || fail "pause"
grep -q "frozen 1" "$cg/cgroup.events" || fail "not frozen: $(cat "$cg/cgroup.events")"
b state c | grep -q '"status" : "paused"' || fail "state is not paused"
b resume c || fail "resume"
grep -q "frozen 0" "$cg/cgroup.events" || fail "not thawed: $(cat "$cg/cgroup.events")"

b delete --force c || fail "delete"
for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$events_pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$events_pid" 2>/dev/null && fail "events did not end when the container did"
[ -d "$cg" ] && fail "cgroup $cg left behind"
rm -rf "$state"
echo "verbs: ok"
