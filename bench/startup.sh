#!/usr/bin/env bash
# bench/startup.sh [RUNS]: start-up of one `/bin/true` container, Bulwark (native launcher and JVM launcher)
# vs runc, crun, bubblewrap and `unshare`, in ONE hyperfine run (absolute figures drift between runs on a
# shared machine; compare within a run). The native rows run launcher/target/native/bulwark directly (and
# once through bin/bulwark, to show the script's cost); they are left out, saying so, where scripts/build
# could not make it. The JVM rows run bin/bulwark with BULWARK_LAUNCHER=jvm.
# Two configs: the "bulwark ... run" rows run Bulwark's own hardened default (`bulwark spec`: user namespace
# even as root, seccomp, Landlock, masked and read-only paths, userns limits), which is more kernel work
# than runc's; the "bulwark native run, runc's config" rows run the very same config.json (`runc spec`, or
# `runc spec --rootless`) and rootfs as the runc and crun rows: that pair is the apples-to-apples comparison.
# As root: every peer as root, and (when the user bulwark-test exists, see scripts/setup-test-host)
# rootless through setpriv. Installs runc crun bubblewrap hyperfine busybox-static when missing.
#
# Cgroups: this host mounts cgroups in hybrid mode (v1 controllers + an empty v2 at /sys/fs/cgroup/unified).
# crun refuses hybrid mode and runc as root would create cgroups in the v1 hierarchies, which this
# benchmark must never touch. So runc and crun (only they) run inside a private mount namespace in which
# the v2 hierarchy is bind-mounted over /sys/fs/cgroup: they see a pure, controller-less cgroup v2, and
# every v1 hierarchy is hidden. crun runs with --cgroup-manager=disabled (in v2 mode it would load an
# eBPF device filter, which needs CAP_SYS_RESOURCE to raise RLIMIT_MEMLOCK, and this host's bounding set
# lacks it); runc uses its v2 cgroupfs driver there (a cgroup created and removed per run, no controllers).
# Entering that namespace costs an nsenter exec per run: it is measured as its own row and included in
# the runc/crun figures (a small handicap for them). Bulwark and bubblewrap run in the host namespace.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-30}"
[ "$(id -u)" -eq 0 ] || { echo "bench/startup.sh: run as root (it also measures rootless via setpriv)" >&2; exit 1; }

pkgs=()
for p in runc crun bubblewrap hyperfine busybox-static; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
done
if [ "${#pkgs[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null >/dev/null
fi
[ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"

w="$(mktemp -d /tmp/bulwark-bench.XXXXXX)"
chmod 755 "$w"
ns="$w/ns"
cleanup() {
    umount "$ns/mnt" 2>/dev/null || true
    umount "$ns" 2>/dev/null || true
    rm -rf "$w"
}
trap cleanup EXIT

# Private mount namespace for runc and crun, kept alive by a bind mount of its nsfs file.
mkdir "$ns" && mount --bind "$ns" "$ns" && mount --make-private "$ns" && touch "$ns/mnt"
unshare --mount="$ns/mnt" --propagation private true
nsenter --mount="$ns/mnt" mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup
[ "$(nsenter --mount="$ns/mnt" stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
enter="nsenter --mount=$ns/mnt"

# Bundles: rootfs = static busybox; config.json = Bulwark's default, runc/config.json = `runc spec`.
bundles() { # DIR [--rootless]
    "$here/scripts/make-bundle" "$1/bulwark" "${2:-}"
    mkdir -p "$1/oci" && cp -a "$1/bulwark/rootfs" "$1/oci/" && cp "$1/bulwark/runc-config.json" "$1/oci/config.json"
}
bundles "$w/root"
b="$here/bin/bulwark"
nb="$here/launcher/target/native/bulwark"
jvm_env="env BULWARK_LAUNCHER=jvm"
cmds=()
if [ -x "$nb" ] && ! [ "$here/launcher/target/launcher-0.1.0-SNAPSHOT.jar" -nt "$nb" ]; then
    cmds+=(
        -n "bulwark native run (root)" "$nb run --root $w/root/state --bundle $w/root/bulwark -- /bin/true"
        -n "bulwark native run, runc's config (root)" "$nb run --root $w/root/state --bundle $w/root/oci -- /bin/true"
        -n "bin/bulwark -> native (root)" "$b run --root $w/root/state --bundle $w/root/bulwark -- /bin/true"
    )
else
    nb=""
    echo "(no fresh native launcher at launcher/target/native/bulwark: native rows skipped; scripts/build makes it)"
fi
cmds+=(
    -n "bulwark jvm run (root)"    "$jvm_env $b run --root $w/root/state --bundle $w/root/bulwark -- /bin/true"
    -n "runc run (root)"           "$enter runc --root $w/root/runc-state run --bundle $w/root/oci bench-runc"
    -n "crun run (root)"           "$enter crun --cgroup-manager=disabled --root $w/root/crun-state run --bundle $w/root/oci bench-crun"
    -n "bwrap --unshare-all (root)" "bwrap --unshare-all --ro-bind $w/root/oci/rootfs / --proc /proc --dev /dev /bin/true"
    -n "unshare -Urpfm --mount-proc (root, floor)" "unshare -Urpfm --mount-proc /bin/true"
    -n "nsenter wrapper alone"     "$enter /bin/true"
)
if id bulwark-test >/dev/null 2>&1; then
    u="setpriv --reuid=bulwark-test --regid=bulwark-test --clear-groups --reset-env"
    mkdir "$w/rootless" && chown bulwark-test: "$w/rootless"
    $u bash -c "$(declare -f bundles); here=$here; bundles $w/rootless --rootless"
    [ -z "$nb" ] || cmds+=(
        -n "bulwark native run (rootless)" "$u $nb run --root $w/rootless/state --bundle $w/rootless/bulwark -- /bin/true"
        -n "bulwark native run, runc's config (rootless)" "$u $nb run --root $w/rootless/state --bundle $w/rootless/oci -- /bin/true"
    )
    cmds+=(
        -n "bulwark jvm run (rootless)" "$u $jvm_env $b run --root $w/rootless/state --bundle $w/rootless/bulwark -- /bin/true"
        -n "runc run (rootless)"      "$enter $u runc --root $w/rootless/runc-state run --bundle $w/rootless/oci bench-runc"
        -n "crun run (rootless)"      "$enter $u crun --cgroup-manager=disabled --root $w/rootless/crun-state run --bundle $w/rootless/oci bench-crun"
        -n "bwrap --unshare-all (rootless)" "$u bwrap --unshare-all --ro-bind $w/rootless/oci/rootfs / --proc /proc --dev /dev /bin/true"
        -n "setpriv wrapper alone"    "$u /bin/true"
    )
else
    echo "(no user bulwark-test: rootless rows skipped; scripts/setup-test-host creates it)"
fi

jvm="$(BULWARK_JVM_OPTS=-XshowSettings:properties "$b" --version 2>&1 | sed -n 's/^ *java.home = //p')"
echo "# bench/startup.sh: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# bulwark JVM: $jvm; runc $(runc --version | head -1 | cut -d' ' -f3), $(crun --version | head -1), $(bwrap --version)"
echo "# runc and crun run in a private mount namespace (cgroup v2 over /sys/fs/cgroup, v1 hidden); see the header of this script"
echo "# hyperfine -N --warmup 3 --runs $runs"
hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$w/result.json" "${cmds[@]}" >/dev/null
python3 - "$w/result.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
ms = {r["command"]: (r["mean"] * 1000, r["stddev"] * 1000, r["min"] * 1000) for r in rs}
print(f"{'command':48} {'mean ms':>9} {'± sd':>8} {'min ms':>8} {'native/this':>12} {'native-runc-cfg/this':>21} {'jvm/this':>9}")
for name, (mean, sd, mn) in ms.items():
    mode = "rootless" if "(rootless" in name else "root"
    cols = ""
    for ref_name, width in ((f"bulwark native run ({mode})", 12), (f"bulwark native run, runc's config ({mode})", 21),
                            (f"bulwark jvm run ({mode})", 9)):
        ref = ms.get(ref_name)
        cols += f" {ref[0] / mean:{width - 1}.2f}x" if ref and name != ref_name else " " * (width + 1)
    print(f"{name:48} {mean:9.1f} {sd:8.1f} {mn:8.1f}{cols}")
print("native/this, jvm/this: a bulwark launch (hardened default config) over this command's time (same mode);")
print("native-runc-cfg/this: the native launcher running runc's own config.json; <= 1.00 means bulwark is as fast or faster.")
PY
