#!/usr/bin/env bash
# bench/stress.sh [N] [--rootless]: N (default 1000) sequential launches of
#     bin/bulwark run --root STATE --id stress-PID-I -- /bin/true
# each under `timeout 20` (a launch over 20 s counts as a hang and is killed). Counts hangs, non-zero
# exits, leaked processes (any process whose command line mentions the state root or a stress id),
# leaked mounts (lines of the host's /proc/self/mountinfo before/after) and leftover state dirs.
# --rootless: launch as the user bulwark-test (scripts/setup-test-host), through setpriv.
#
# bench/stress.sh --in-jvm N: the in-JVM stress (N launches from one long-lived JVM under GC pressure),
# dev.bulwark.it.StressMain from the integration-tests test classes (compiled here when missing).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"

if [ "${1:-}" = --in-jvm ]; then
    n="${2:-10000}"
    classes="$here/integration-tests/target/test-classes"
    if [ ! -f "$classes/dev/bulwark/it/StressMain.class" ] && [ -f "$here/integration-tests/src/test/java/dev/bulwark/it/StressMain.java" ]; then
        (cd "$here" && mvn -B -q -Dstyle.color=never -pl integration-tests -am test-compile </dev/null)
    fi
    if [ -f "$classes/dev/bulwark/it/StressMain.class" ]; then
        [ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"
        cmd=(java -Xmx2g -cp "$classes:$(cat "$here/launcher/target/runtime/classpath")" dev.bulwark.it.StressMain "$n")
        echo "# ${cmd[*]}"
        exec "${cmd[@]}"
    fi
    echo "bench/stress.sh --in-jvm: dev.bulwark.it.StressMain is not built (integration-tests); nothing to run" >&2
    exit 2
fi

n=1000; as=()
for a in "$@"; do
    case "$a" in
        --rootless) as=(setpriv --reuid=bulwark-test --regid=bulwark-test --clear-groups --reset-env) ;;
        [0-9]*) n="$a" ;;
        *) echo "usage: bench/stress.sh [N] [--rootless] | --in-jvm N" >&2; exit 2 ;;
    esac
done
[ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"
w="$(mktemp -d /tmp/bulwark-stress.XXXXXX)"
chmod 755 "$w"
[ "${#as[@]}" -eq 0 ] || chown bulwark-test: "$w"
state="$w/state"
tag="stress-$$"
cmd=("${as[@]}" "$here/bin/bulwark" run --root "$state" --id "$tag-I" -- /bin/true)
echo "# bench/stress.sh: $n launches of: timeout -k 5 20 ${cmd[*]}  (I = 1..$n)"

mounts_before="$(wc -l < /proc/self/mountinfo)"
hangs=0; fails=0; ok=0; declare -A codes=()
start=$(date +%s.%N)
stop=0
trap 'stop=1' INT TERM   # Ctrl-C / kill: stop after the current launch and print the totals so far
done_n=0
for ((i = 1; i <= n; i++)); do
    [ "$stop" -eq 0 ] || break
    done_n=$i
    set +e
    timeout -k 5 20 "${as[@]}" "$here/bin/bulwark" run --root "$state" --id "$tag-$i" -- /bin/true </dev/null >/dev/null 2>"$w/err"
    rc=$?
    set -e
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        hangs=$((hangs + 1)); echo "launch $i: hang (killed after 20 s)" >&2
    elif [ "$rc" -ne 0 ]; then
        fails=$((fails + 1)); codes[$rc]=$(( ${codes[$rc]:-0} + 1 ))
        echo "launch $i: exit $rc: $(head -c 300 "$w/err")" >&2
    else
        ok=$((ok + 1))
    fi
    if (( i % 100 == 0 )); then echo "  $i/$n: ok $ok, non-zero $fails, hangs $hangs" >&2; fi
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
