#!/bin/sh
# exec joins the container's cgroup v2 (run inside bulwark-vm, as root or a delegated user): the exec'd
# process, foreground and detached, is in the init's cgroup. Prints "exec-cgroup: ok" or why not.
set -u
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then # as limits-check.sh: a scope of its own in the delegated service, containers beside it
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    mkdir -p /sys/fs/cgroup$own/app.slice/exec-check.scope
    echo $$ > /sys/fs/cgroup$own/app.slice/exec-check.scope/cgroup.procs
    echo "+memory +pids" > /sys/fs/cgroup$own/cgroup.subtree_control
fi
state=$(mktemp -d /tmp/exec-cgroup.XXXXXX) && chmod 711 "$state"
fail() { echo "exec-cgroup: FAIL: $*"; bin/bulwark --root "$state" delete --force c >/dev/null 2>&1; exit 1; }
bin/bulwark --root "$state" run --detach --id c --pids 50 -- /bin/sleep 300 >/dev/null || fail "run --detach"
pid=$(bin/bulwark --root "$state" state c | sed -n 's/.*"pid" *: *\([0-9]*\).*/\1/p')
init=$(cat /proc/"$pid"/cgroup)
case "$init" in *bulwark*) ;; *) fail "the init has no cgroup of its own: $init" ;; esac
inside=$(bin/bulwark --root "$state" exec c cat /proc/self/cgroup) || fail "exec"
[ "$inside" = "$(bin/bulwark --root "$state" exec c cat /proc/1/cgroup)" ] || fail "exec'd $inside, init seen from inside differs"
bin/bulwark --root "$state" exec --detach --pid-file "$state/exec.pid" c /bin/sleep 300 || fail "exec --detach"
detached=$(cat /proc/"$(cat "$state/exec.pid")"/cgroup)
[ "$detached" = "$init" ] || fail "detached exec in $detached, init in $init"
bin/bulwark --root "$state" delete --force c || fail "delete"
rm -rf "$state"
echo "exec-cgroup: ok ($init)"
