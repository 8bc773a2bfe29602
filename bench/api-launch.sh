#!/usr/bin/env bash
# bench/api-launch.sh [RUNS]: warm launches of /bin/true through the Java API (dev.bulwark.api), p50 and p99
# over RUNS (default 1000) in one JVM, beside bwrap --unshare-all spawned from the same JVM in the same run.
# Builds the modules it needs offline first.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-1000}"
command -v bwrap >/dev/null || { echo "needs bwrap (apt-get install bubblewrap)" >&2; exit 1; }
cd "$here"
mvn -B -q -o -pl api -am test-compile -DskipTests
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -o -pl api dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
cp="$here/api/target/test-classes:$here/api/target/classes:$here/launcher/target/classes:$here/native-bindings/target/classes:$here/config-schema/target/classes:$(cat "$cp_file")"
echo "# bench/api-launch.sh: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), as $(id -un)"
exec java -cp "$cp" dev.bulwark.api.ApiLaunchBench "$runs"
