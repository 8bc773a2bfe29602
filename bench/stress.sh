#!/usr/bin/env bash
# bench/stress.sh [N] [--rootless]: N (default 1000) sequential launches of
#     bin/bulwark run --root STATE --id stress-PID-I -- /bin/true
# each under `timeout 20` (a launch over 20 s counts as a hang and is killed). Counts hangs, non-zero
# exits, leaked processes (any process whose command line mentions the state root or a stress id),
# leaked mounts (lines of the host's /proc/self/mountinfo before/after) and leftover state dirs.
# --rootless: launch as the user bulwark-test (scripts/setup-test-host), through setpriv.
#
# --concurrent C: the N launches go C at a time (all C started together, each under `timeout 60`).
#
# bench/stress.sh --in-jvm N [--threads T]: the in-JVM stress (N launches from one long-lived JVM under
# GC pressure, from T launching threads at once), dev.bulwark.it.StressMain from the integration-tests
# test classes (compiled here when missing).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"

if [ "${1:-}" = --in-jvm ]; then
    n="${2:-10000}"
    threads=1
    if [ "${3:-}" = --threads ]; then threads="${4:?--threads needs a number}"; fi
    classes="$here/integration-tests/target/test-classes"
    if [ ! -f "$classes/dev/bulwark/it/StressMain.class" ] && [ -f "$here/integration-tests/src/test/java/dev/bulwark/it/StressMain.java" ]; then
        (cd "$here" && mvn -B -q -Dstyle.color=never -pl integration-tests -am test-compile </dev/null)
    fi
    if [ -f "$classes/dev/bulwark/it/StressMain.class" ]; then
        [ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"
        cmd=(java -Xmx2g -cp "$classes:$(cat "$here/launcher/target/runtime/classpath")" dev.bulwark.it.StressMain "$n" --threads "$threads")
        echo "# ${cmd[*]}"
        exec "${cmd[@]}"
    fi
    echo "bench/stress.sh --in-jvm: dev.bulwark.it.StressMain is not built (integration-tests); nothing to run" >&2
    exit 2
fi

n=1000; as=(); concurrent=1; n_given=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rootless) as=(setpriv --reuid=bulwark-test --regid=bulwark-test --clear-groups --reset-env) ;;
        --concurrent) concurrent="${2:?--concurrent needs a number}"; shift ;;
        [0-9]*) n="$1"; n_given=1 ;;
        *) echo "usage: bench/stress.sh [N] [--rootless] [--concurrent C] | --in-jvm N [--threads T]" >&2; exit 2 ;;
    esac
    shift
done
[ "$concurrent" -eq 1 ] || [ "$n_given" -eq 1 ] || n="$concurrent"   # --concurrent 100 alone: one wave of 100
[ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"
w="$(mktemp -d /tmp/bulwark-stress.XXXXXX)"
chmod 755 "$w"
[ "${#as[@]}" -eq 0 ] || chown bulwark-test: "$w"
state="$w/state"
tag="stress-$$"
cmd=("${as[@]}" "$here/bin/bulwark" run --root "$state" --id "$tag-I" -- /bin/true)
timeout_s=20; [ "$concurrent" -eq 1 ] || timeout_s=60   # C JVMs starting at once on a small machine
echo "# bench/stress.sh: $n launches, $concurrent at a time, of: timeout -k 5 $timeout_s ${cmd[*]}  (I = 1..$n)"

mounts_before="$(wc -l < /proc/self/mountinfo)"
hangs=0; fails=0; ok=0; declare -A codes=()
start=$(date +%s.%N)
stop=0
trap 'stop=1' INT TERM   # Ctrl-C / kill: stop after the current launch and print the totals so far
done_n=0
# One launch: its exit status in $w/rc-I, its stderr in $w/err-I.
launch() {
    set +e
    timeout -k 5 "$timeout_s" "${as[@]}" "$here/bin/bulwark" run --root "$state" --id "$tag-$1" -- /bin/true </dev/null >/dev/null 2>"$w/err-$1"
    echo $? > "$w/rc-$1"
}
count() {
    local i=$1 rc
    rc="$(cat "$w/rc-$i")"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        hangs=$((hangs + 1)); echo "launch $i: hang (killed after $timeout_s s)" >&2
    elif [ "$rc" -ne 0 ]; then
        fails=$((fails + 1)); codes[$rc]=$(( ${codes[$rc]:-0} + 1 ))
        echo "launch $i: exit $rc: $(head -c 300 "$w/err-$i")" >&2
    else
        ok=$((ok + 1))
    fi
    rm -f "$w/rc-$i" "$w/err-$i"
}
for ((i = 1; i <= n; i += concurrent)); do
    [ "$stop" -eq 0 ] || break
    last=$(( i + concurrent - 1 < n ? i + concurrent - 1 : n ))
    for ((j = i; j <= last; j++)); do launch "$j" & done
    wait
    for ((j = i; j <= last; j++)); do count "$j"; done
    done_n=$last
    if (( done_n % 100 == 0 )); then echo "  $done_n/$n: ok $ok, non-zero $fails, hangs $hangs" >&2; fi
done
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
sleep 1
leaked_procs="$(pgrep -af -- "$state|$tag-" | grep -v -e pgrep -e 'bench/stress.sh' || true)"
mounts_after="$(wc -l < /proc/self/mountinfo)"
leftover="$(find "$state" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"

echo "launches:            $done_n of $n$([ "$done_n" -eq "$n" ] || echo ' (interrupted)')  (${elapsed%.*} s, $(awk -v e="$elapsed" -v n="$done_n" 'BEGIN { printf "%.1f", e * 1000 / (n > 0 ? n : 1) }') ms per launch)"
echo "exit 0:              $ok"
echo "non-zero exits:      $fails $(for c in "${!codes[@]}"; do printf '[exit %s: %s] ' "$c" "${codes[$c]}"; done)"
echo "hangs (>20 s):       $hangs"
echo "leaked processes:    $(printf '%s' "$leaked_procs" | grep -c . || true)"
[ -z "$leaked_procs" ] || printf '%s\n' "$leaked_procs" | head -20
echo "host mounts:         $mounts_before before, $mounts_after after (other users of this machine may mount too)"
echo "leftover state dirs: $leftover (in $state)"
rm -rf "$w"
[ "$hangs" -eq 0 ] && [ "$fails" -eq 0 ] && [ -z "$leaked_procs" ] && [ "$leftover" -eq 0 ]
