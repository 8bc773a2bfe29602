#!/usr/bin/env bash
# bench/memory.sh [REPEATS]: resident memory of the runtime process that stays in the foreground while a
# service runs: `bulwark run` (the native launcher launcher/target/native/bulwark where scripts/build made it,
# and the JVM launcher, bin/bulwark with BULWARK_LAUNCHER=jvm) vs `runc run` and `crun run`, same service,
# same rootfs.
# As root: every runtime as root, and (when the user bulwark-test exists, see scripts/setup-test-host)
# rootless through setpriv. Installs runc crun busybox-static when missing.
#
# The service is `busybox httpd -f -p 127.0.0.1:PORT` in a static-busybox rootfs (scripts/make-bundle);
# it is "up" when its network namespace has that socket listening (/proc/SVC/net/tcp). Two seconds later
# the script reads, for the process the runtime command started (bin/bulwark and runc exec in place, so
# it is the java or runc process itself) and every other process of the runtime around the service:
# RSS (VmRSS) and PSS (/proc/PID/smaps_rollup; shared pages split among the processes that map them),
# and the thread count. It then stops the service (SIGKILL to the service from the host: busybox httpd
# as pid 1 ignores SIGTERM), waits for the runtime to exit, and prints the median of REPEATS (3) runs.
#
# Cgroups: as in bench/startup.sh (see there), runc and crun run inside a private mount namespace where
# the controller-less v2 hierarchy is mounted over /sys/fs/cgroup, so they never touch this host's v1
# hierarchies; crun with --cgroup-manager=disabled. The configs have no linux.resources.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
repeats="${1:-3}"
# A port nobody on the host listens on (rootless runc/crun specs share the host's network namespace).
port=$((20000 + $$ % 20000))
while awk -v p="$(printf ':%04X' "$port")" 'substr($2, length($2) - 4) == p {f = 1} END {exit !f}' /proc/net/tcp; do port=$((port + 1)); done
[ "$(id -u)" -eq 0 ] || { echo "bench/memory.sh: run as root (it also measures rootless via setpriv)" >&2; exit 1; }

pkgs=()
for p in runc crun busybox-static; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
done
if [ "${#pkgs[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null >/dev/null
fi
[ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"

w="$(mktemp -d /tmp/bulwark-membench.XXXXXX)"
chmod 755 "$w"
ns="$w/ns"
runtime_pid=""
cleanup() {
    if [ -n "$runtime_pid" ] && kill -0 "$runtime_pid" 2>/dev/null; then
        kill -KILL $(descendants "$runtime_pid") "$runtime_pid" 2>/dev/null || true
    fi
    umount "$ns/mnt" 2>/dev/null || true
    umount "$ns" 2>/dev/null || true
    rm -rf "$w"
}
trap cleanup EXIT

descendants() { # PID: every descendant's pid
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        echo "$child"
        descendants "$child"
    done
}

# Private mount namespace for runc and crun (cgroup v2 over /sys/fs/cgroup), as in bench/startup.sh.
mkdir "$ns" && mount --bind "$ns" "$ns" && mount --make-private "$ns" && touch "$ns/mnt"
unshare --mount="$ns/mnt" --propagation private true
nsenter --mount="$ns/mnt" mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup
[ "$(nsenter --mount="$ns/mnt" stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
enter="nsenter --mount=$ns/mnt"

# Bundles: one rootfs (static busybox, + /www); config.json = Bulwark's default (`bulwark spec`),
# oci/config.json = `runc spec` (crun reads the same), both running the service, no terminal.
bundles() { # DIR [--rootless]
    "$here/scripts/make-bundle" "$1/bulwark" "${2:-}"
    mkdir -p "$1/bulwark/rootfs/www" && echo ok > "$1/bulwark/rootfs/www/index.html"
    local service='["/bin/busybox","httpd","-f","-p","127.0.0.1:'"$port"'","-h","/www"]'
    jq ".process.args = $service" "$1/bulwark/config.json" > "$1/bulwark/config.new" && mv "$1/bulwark/config.new" "$1/bulwark/config.json"
    mkdir -p "$1/oci"
    jq ".process.args = $service | .root.path = \"$1/bulwark/rootfs\" | del(.linux.resources)" \
        "$1/bulwark/runc-config.json" > "$1/oci/config.json"
}

# Median of numbers on stdin.
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

listening() { # PID: its network namespace has 127.0.0.1:$port in LISTEN
    awk -v want="$(printf '0100007F:%04X' "$port")" '$2 == want && $4 == "0A" {found = 1} END {exit !found}' /proc/"$1"/net/tcp 2>/dev/null
}

measure() { # NAME COMMAND...: one run; appends "NAME rss_kb pss_kb threads processes exe" to $w/samples
    local name="$1"; shift
    "$@" </dev/null >"$w/out" 2>&1 &
    runtime_pid=$!
    local service="" i
    for i in $(seq 300); do # up to 60 s: a JVM launch on a loaded machine
        for pid in $(descendants "$runtime_pid"); do
            if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = busybox ] && listening "$pid"; then service="$pid"; fi
        done
        [ -n "$service" ] && break
        kill -0 "$runtime_pid" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$service" ]; then
        echo "bench/memory.sh: $name: the service did not come up; its output:" >&2
        cat "$w/out" >&2
        exit 1
    fi
    sleep 2
    # The runtime's resident processes: the one started here, and any other non-service process
    # around the service (e.g. a runtime process between them), excluding the service itself.
    local rss=0 pss=0 threads=0 procs=0 exe="" p
    for p in "$runtime_pid" $(descendants "$runtime_pid"); do
        [ "$p" = "$service" ] && continue
        [ -r /proc/"$p"/smaps_rollup ] || continue
        rss=$((rss + $(awk '/^Rss:/ {print $2}' /proc/"$p"/smaps_rollup)))
        pss=$((pss + $(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup)))
        threads=$((threads + $(awk '/^Threads:/ {print $2}' /proc/"$p"/status)))
        procs=$((procs + 1))
        exe="${exe:+$exe+}$(cat /proc/"$p"/comm)"
    done
    echo "$name $rss $pss $threads $procs $exe" >> "$w/samples"
    kill -KILL "$service"
    local status=0
    wait "$runtime_pid" || status=$?
    runtime_pid=""
    if [ "$status" -ne 137 ] && [ "$status" -ne 0 ]; then
        echo "bench/memory.sh: $name exited $status after the service was killed; its output:" >&2
        cat "$w/out" >&2
    fi
}

b="$here/bin/bulwark"
nb="$here/launcher/target/native/bulwark"
if ! [ -x "$nb" ] || [ "$here/launcher/target/launcher-0.1.0-SNAPSHOT.jar" -nt "$nb" ]; then
    nb=""
    echo "(no fresh native launcher at launcher/target/native/bulwark: native rows skipped; scripts/build makes it)"
fi
runs=()
add() { runs+=("$1"); eval "cmd_$((${#runs[@]} - 1))=\$2"; }
bundles "$w/root"
[ -z "$nb" ] || add "bulwark native run (root)" "$nb run --root $w/root/state --bundle $w/root/bulwark bench"
add "bulwark jvm run (root)" "env BULWARK_LAUNCHER=jvm $b run --root $w/root/state --bundle $w/root/bulwark bench"
add "runc run (root)"    "$enter runc --root $w/root/runc-state run --bundle $w/root/oci bench"
add "crun run (root)"    "$enter crun --cgroup-manager=disabled --root $w/root/crun-state run --bundle $w/root/oci bench"
if id bulwark-test >/dev/null 2>&1; then
    u="setpriv --reuid=bulwark-test --regid=bulwark-test --clear-groups --reset-env"
    mkdir "$w/rootless" && chown bulwark-test: "$w/rootless"
    $u bash -c "$(declare -f bundles); here=$here; port=$port; bundles $w/rootless --rootless"
    # setpriv --reset-env: pass on the choice of JVM (bin/bulwark's BULWARK_* variables).
    [ -z "$nb" ] || add "bulwark native run (rootless)" "$u $nb run --root $w/rootless/state --bundle $w/rootless/bulwark bench"
    add "bulwark jvm run (rootless)" "$u env BULWARK_LAUNCHER=jvm $(env | grep -E '^BULWARK_(JAVA|JVM_OPTS|ARCHIVE)=' | tr '\n' ' ') $b run --root $w/rootless/state --bundle $w/rootless/bulwark bench"
    add "runc run (rootless)"    "$enter $u runc --rootless true --root $w/rootless/runc-state run --bundle $w/rootless/oci bench"
    add "crun run (rootless)"    "$enter $u crun --cgroup-manager=disabled --root $w/rootless/crun-state run --bundle $w/rootless/oci bench"
else
    echo "(no user bulwark-test: rootless rows skipped; scripts/setup-test-host creates it)"
fi

for r in $(seq "$repeats"); do
    for i in "${!runs[@]}"; do
        eval "cmd=\$cmd_$i"
        # shellcheck disable=SC2154,SC2086
        measure "${runs[$i]// /_}" $cmd
    done
done

conf="$w/launch.conf"
BULWARK_PRINT_CONF=1 "$b" > "$conf" # the JVM and options bin/bulwark picks here
echo "# bench/memory.sh: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), median of $repeats runs"
echo "# service: busybox httpd -f -p 127.0.0.1:$port (static busybox rootfs); runc $(runc --version | head -1 | cut -d' ' -f3), $(crun --version | head -1)"
echo "# bulwark JVM: $(sed -n 's/^java=//p' "$conf"); options: $(sed -n 's/^opts=(//p' "$conf" 2>/dev/null | tr ' ' '\n' | grep -E '^-X' | tr '\n' ' ')${BULWARK_JVM_OPTS:-}"
python3 - "$w/samples" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, rss, pss, threads, procs, exe = line.split(None, 5)
    exe = exe.strip()
    rows.setdefault(name.replace("_", " "), []).append((int(rss), int(pss), int(threads), int(procs), exe))
def med(vals):
    return statistics.median(vals)
mb = lambda kb: kb / 1024
stats = {n: (med([s[0] for s in v]), med([s[1] for s in v]), med([s[2] for s in v]), v[-1][3], v[-1][4]) for n, v in rows.items()}
print(f"{'runtime (resident process)':34} {'RSS MB':>7} {'PSS MB':>7} {'threads':>7} {'native/this RSS':>16} {'jvm/this RSS':>13}  processes")
for name, (rss, pss, threads, procs, exe) in stats.items():
    mode = "rootless" if "(rootless" in name else "root"
    cols = ""
    for ref_name, width in ((f"bulwark native run ({mode})", 16), (f"bulwark jvm run ({mode})", 13)):
        ref = stats.get(ref_name)
        cols += f" {ref[0] / rss:{width - 1}.2f}x" if ref and name != ref_name else " " * (width + 1)
    print(f"{name:34} {mb(rss):7.1f} {mb(pss):7.1f} {threads:7.0f}{cols}  {procs} ({exe})")
print("RSS/PSS: of the runtime's own processes while the service runs (the service excluded);"
      " native/this, jvm/this: a bulwark launcher's RSS over this runtime's (same mode); <= 1.00: no more than it.")
PY
