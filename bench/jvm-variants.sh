#!/usr/bin/env bash
# bench/jvm-variants.sh [RUNS]: start-up of `bulwark run -- /bin/true` (built-in default) for each JVM
# set-up bin/bulwark can use, in one hyperfine run. Needs scripts/build first (it trains the archives).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-20}"
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
t="$here/launcher/target"
j17="$(readlink -f "$(command -v java)")"
j25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
b="$here/bin/bulwark"
cmds=(
    -n "jdk17 plain (java -cp jars)"          "java -cp '$t/launcher-0.1.0-SNAPSHOT.jar:$t/lib/*' dev.bulwark.launcher.cli.BulwarkCli run -- /bin/true"
    -n "jdk17 tuned flags + jffi lib"          "env BULWARK_JAVA=$j17 BULWARK_ARCHIVE=0 $b run -- /bin/true"
    -n "jdk17 tuned + CDS archive"             "env BULWARK_JAVA=$j17 $b run -- /bin/true"
)
if [ -x "$j25" ]; then
    cmds+=(
        -n "jdk25 tuned flags + jffi lib"      "env BULWARK_JAVA=$j25 BULWARK_ARCHIVE=0 $b run -- /bin/true"
        -n "jdk25 tuned + AOT cache"           "env BULWARK_JAVA=$j25 $b run -- /bin/true"
    )
fi
echo "# bench/jvm-variants.sh: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg); hyperfine -N --warmup 3 --runs $runs; built-in default, /bin/true, as $(id -un)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
hyperfine -N --warmup 3 --runs "$runs" --style basic --export-markdown "$out" "${cmds[@]}" 2>&1 | grep -E '^Benchmark|Time \(mean|Range'
cat "$out"
