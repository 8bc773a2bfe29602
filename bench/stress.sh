#!/usr/bin/env bash
# bench/stress.sh [N] [--rootless]: N (default 1000) sequential launches of
#     bin/bulwark run --root STATE --id stress-PID-I -- /bin/true
# each under `timeout 20` (a launch over 20 s counts as a hang and is killed). Counts hangs, non-zero
# exits, leaked processes (any process whose command line mentions the state root or a stress id),
# leaked mounts (lines of the host's /proc/self/mountinfo before/after) and leftover state dirs.
# --rootless: launch as the user bulwark-test (scripts/setup-test-host), through setpriv.
#
# --concurrent C: the N launches go C at a time (all C started together, each under `timeout 300`).
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

# bench/stress.sh --kill-random MIN:MAX [N] [--rootless]: N (200) launches of a long workload, each
# SIGKILLed MIN..MAX ms after it started (one at a time); 1.5 s after each kill, counts launches whose
# container processes still live; at the end, `list` and `delete` of every state directory left, and
# what is still left after that (processes, mounts, state dirs).
if [ "${1:-}" = --kill-random ]; then
    range="${2:?--kill-random needs MIN:MAX (milliseconds)}"; shift 2
    lo="${range%%:*}"; hi="${range##*:}"; n=200; as=()
    for a in "$@"; do
        case "$a" in
            --rootless) as=(setpriv --reuid=bulwark-test --regid=bulwark-test --clear-groups --reset-env) ;;
            [0-9]*) n="$a" ;;
            *) echo "usage: bench/stress.sh --kill-random MIN:MAX [N] [--rootless]" >&2; exit 2 ;;
        esac
    done
    [ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"
    w="$(mktemp -d /tmp/bulwark-kill.XXXXXX)"; chmod 755 "$w"; [ "${#as[@]}" -eq 0 ] || chown bulwark-test: "$w"
    state="$w/state"; tag="kill-$$"
    echo "# bench/stress.sh: $n launches of ${as[*]} bin/bulwark run --root $state --id $tag-I -- /bin/sh -c 'sleep 600; : $tag-I', each killed with SIGKILL after $lo..$hi ms"
    mounts_before="$(wc -l < /proc/self/mountinfo)"
    late=0
    for ((i = 1; i <= n; i++)); do
        "${as[@]}" "$here/bin/bulwark" run --root "$state" --id "$tag-$i" -- /bin/sh -c "sleep 600; : $tag-$i" </dev/null >/dev/null 2>&1 &
        pid=$!
        sleep "$(awk -v lo="$lo" -v hi="$hi" -v r="$RANDOM" 'BEGIN { printf "%.3f", (lo + (hi - lo) * r / 32767) / 1000 }')"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        sleep 1.5
        if pgrep -f -- "$tag-$i( |\$)" >/dev/null; then late=$((late + 1)); fi
    done
    sleep 5   # let late parent-death signals land
    left="$(find "$state" -mindepth 1 -maxdepth 1 -name "$tag-*" 2>/dev/null | wc -l)"
    listed="$("${as[@]}" "$here/bin/bulwark" list --root "$state" 2>/dev/null | grep -c -- "^$tag-" || true)"
    stopped="$("${as[@]}" "$here/bin/bulwark" list --root "$state" 2>/dev/null | grep -- "^$tag-" | grep -c ' stopped ' || true)"
    deleted=0; refused=0
    for d in $(find "$state" -mindepth 1 -maxdepth 1 -name "$tag-*" -printf '%f\n' 2>/dev/null); do
        if "${as[@]}" "$here/bin/bulwark" delete --root "$state" "$d" 2>"$w/err"; then deleted=$((deleted + 1));
        else refused=$((refused + 1)); echo "delete $d: $(cat "$w/err")" >&2; fi
    done
    leaked_procs="$(pgrep -af -- "$tag-" | grep -v -e pgrep -e 'bench/stress.sh' || true)"
    echo "launches killed:            $n (after $lo..$hi ms)"
    echo "still alive 1.5 s after:    $late"
    echo "state dirs left:            $left (listed: $listed, of which stopped: $stopped)"
    echo "deleted / refused:          $deleted / $refused"
    echo "leaked processes:           $(printf '%s' "$leaked_procs" | grep -c . || true)"
    echo "host mounts:                $mounts_before before, $(wc -l < /proc/self/mountinfo) after"
    echo "state dirs after delete:    $(find "$state" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
    rm -rf "$w"
    [ "$refused" -eq 0 ] && [ -z "$leaked_procs" ]
    exit $?
fi

n=1000; as=(); concurrent=1; n_given=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rootless) as=(setpriv --reuid=bulwark-test --regid=bulwark-test --clear-groups --reset-env) ;;
        --concurrent) concurrent="${2:?--concurrent needs a number}"; shift ;;
        [0-9]*) n="$1"; n_given=1 ;;
        *) echo "usage: bench/stress.sh [N] [--rootless] [--concurrent C] | --in-jvm N [--threads T] | --kill-random MIN:MAX [N]" >&2; exit 2 ;;
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
timeout_s=20; [ "$concurrent" -eq 1 ] || timeout_s=300   # C JVMs starting at once share the machine's cores
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
echo "hangs (>$timeout_s s):      $hangs"
echo "leaked processes:    $(printf '%s' "$leaked_procs" | grep -c . || true)"
[ -z "$leaked_procs" ] || printf '%s\n' "$leaked_procs" | head -20
echo "host mounts:         $mounts_before before, $mounts_after after (other users of this machine may mount too)"
echo "leftover state dirs: $leftover (in $state)"
rm -rf "$w"
[ "$hangs" -eq 0 ] && [ "$fails" -eq 0 ] && [ -z "$leaked_procs" ] && [ "$leftover" -eq 0 ]
