#!/usr/bin/env bash
# bench/api-launch.sh [RUNS] [--state-root DIR]: warm launches of /bin/true through the Java API (dev.bulwark.api),
# p50 and p99 over RUNS (default 1000) in one JVM: with one builder reused and with a new builder per launch,
# beside bwrap --unshare-all spawned from the same JVM in the same run (interleaved), with each row's p50 over bwrap's.
# The containers' state directories go to the API's default state root (/run/bulwark as root) unless
# --state-root DIR says otherwise; the file system it is on is printed (it matters: see bench/RESULTS.md).
# Builds the modules it needs offline first.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs=1000
state_root=""
while [ $# -gt 0 ]; do
    case "$1" in
        --state-root) state_root="$2"; shift 2 ;;
        *) runs="$1"; shift ;;
    esac
done
command -v bwrap >/dev/null || { echo "needs bwrap (apt-get install bubblewrap)" >&2; exit 1; }
cd "$here"
mvn -B -q -o -pl api -am test-compile -DskipTests
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -o -pl api dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
cp="$here/api/target/test-classes:$here/api/target/classes:$here/launcher/target/classes:$here/native-bindings/target/classes:$here/config-schema/target/classes:$(cat "$cp_file")"
shown_root="${state_root:-$( [ "$(id -u)" = 0 ] && echo /run/bulwark || echo "${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}/bulwark" )}"
mkdir -p "$shown_root"
echo "# bench/api-launch.sh: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), as $(id -un)," \
    "state root $shown_root on $(findmnt -no FSTYPE -T "$shown_root" | tail -n 1)"
exec java -cp "$cp" dev.bulwark.api.ApiLaunchBench "$runs" ${state_root:+"$state_root"}
