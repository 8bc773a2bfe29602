#!/usr/bin/env bash
# bench/podman.sh [RUNS]: `podman run --rm IMAGE true` with --runtime Bulwark (bin/bulwark: the native launcher
# where scripts/build made it, else the JVM one), runc and crun, in ONE hyperfine run, and the ratios. Root only.
# Installs podman conmon runc crun hyperfine busybox-static when missing.
#
# What is measured is mostly Podman: each run is a podman process (image and storage lookups, container
# create, conmon, attach, clean-up with a second podman process) around three runtime calls (create, start,
# delete). The runtime's own share is the difference between rows.
#
# Everything is private: storage, run root and tmpdir in a temp dir, the image imported offline from a
# static-busybox root. Cgroups: this host is hybrid and its v1 hierarchies are not ours, so every podman runs
# inside a private mount namespace in which the controller-less v2 hierarchy is bind-mounted over
# /sys/fs/cgroup (v1 hidden), entered with nsenter (the same cost in every row). Bulwark and crun run with
# --cgroups=disabled (no cgroup for conmon or the container; containers.conf lists both in
# runtime_supports_nocgroup); runc cannot run without cgroups, so its rows use Podman's cgroupfs driver under a
# private --cgroup-parent (a v2 cgroup for conmon and one for the container per run, no controllers) and
# --pids-limit=-1 (there is no pids controller to apply Podman's default 2048). Network: none.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs="${1:-10}"
[ "$(id -u)" -eq 0 ] || { echo "bench/podman.sh: run as root" >&2; exit 1; }

pkgs=()
for p in podman conmon runc crun hyperfine busybox-static; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
done
if [ "${#pkgs[@]}" -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null >/dev/null
fi
[ -f "$here/launcher/target/runtime/classpath" ] || "$here/scripts/build"

w="$(mktemp -d /tmp/bwpb.XXXXXX)" # short: podman refuses a runroot over 50 characters
chmod 755 "$w"
ns="$w/ns"
parent="bulwark-bench-podman-$$"
cleanup() {
    [ -e "$ns/mnt" ] && nsenter --mount="$ns/mnt" "$w/podman" rm --all --force --time 0 >/dev/null 2>&1 || true
    [ -e "$ns/mnt" ] && nsenter --mount="$ns/mnt" "$w/podman" rmi --all --force >/dev/null 2>&1 || true
    umount "$ns/mnt" 2>/dev/null || true
    umount "$ns" 2>/dev/null || true
    find "/sys/fs/cgroup/unified/$parent" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    rm -rf "$w"
}
trap cleanup EXIT

# The private mount namespace, kept alive by a bind mount of its nsfs file.
mkdir "$ns" && mount --bind "$ns" "$ns" && mount --make-private "$ns" && touch "$ns/mnt"
unshare --mount="$ns/mnt" --propagation private true
nsenter --mount="$ns/mnt" mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup
[ "$(nsenter --mount="$ns/mnt" stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
enter="nsenter --mount=$ns/mnt"

cat > "$w/containers.conf" <<'EOF'
[engine]
runtime_supports_nocgroup = ["crun", "krun", "bulwark"]
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "bulwark"]
EOF
cat > "$w/podman" <<EOF
#!/bin/sh
export CONTAINERS_CONF=$w/containers.conf
exec podman --root $w/s/root --runroot $w/s/run --tmpdir $w/s/tmp --cgroup-manager=cgroupfs --events-backend=file "\$@"
EOF
chmod 755 "$w/podman"

mkdir -p "$w/rootfs/bin" "$w/rootfs/tmp" "$w/rootfs/proc" "$w/rootfs/sys" "$w/rootfs/dev" "$w/rootfs/etc"
cp /bin/busybox "$w/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$w/rootfs/bin/$applet"; done
tar -C "$w/rootfs" -cf "$w/busybox.tar" .
$enter "$w/podman" import --quiet "$w/busybox.tar" localhost/bench/busybox >/dev/null

flags="--rm --network=none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
b="$here/bin/bulwark"
nb="$here/launcher/target/native/bulwark"
if [ -x "$nb" ] && ! [ "$here/launcher/target/launcher-0.1.0-SNAPSHOT.jar" -nt "$nb" ]; then
    launcher="native"
else
    launcher="jvm (no fresh native launcher: scripts/build makes it)"
fi
cmds=(
    -n "podman --runtime bulwark" "$enter $w/podman --runtime $b run $flags --cgroups=disabled localhost/bench/busybox true"
    -n "podman --runtime runc"    "$enter $w/podman --runtime /usr/bin/runc run $flags --cgroup-parent=/$parent --pids-limit=-1 localhost/bench/busybox true"
    -n "podman --runtime crun"    "$enter $w/podman --runtime /usr/bin/crun run $flags --cgroups=disabled localhost/bench/busybox true"
)
for i in 2 5 8; do # each must work before it is timed
    sh -c "${cmds[$i]}" >/dev/null || { echo "bench/podman.sh: ${cmds[$((i - 1))]} failed" >&2; exit 1; }
done

echo "# bench/podman.sh: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $(podman --version), conmon $(conmon --version | head -1 | awk '{print $3}'), runc $(runc --version | head -1 | cut -d' ' -f3), $(crun --version | head -1); bulwark launcher: $launcher"
echo "# every row: podman run --rm --network=none IMAGE true, in a private mount namespace (cgroup v2 only); see the header"
echo "# hyperfine -N --warmup 2 --runs $runs"
hyperfine -N --warmup 2 --runs "$runs" --style none --export-json "$w/result.json" "${cmds[@]}" >/dev/null
python3 - "$w/result.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
ms = {r["command"]: (r["mean"] * 1000, r["stddev"] * 1000, r["min"] * 1000) for r in rs}
ref = ms["podman --runtime bulwark"][0]
print(f"{'command':28} {'mean ms':>9} {'± sd':>8} {'min ms':>8} {'bulwark/this':>13} {'this - crun ms':>15}")
crun = ms["podman --runtime crun"][0]
for name, (mean, sd, mn) in ms.items():
    print(f"{name:28} {mean:9.1f} {sd:8.1f} {mn:8.1f} {ref / mean:12.2f}x {mean - crun:15.1f}")
print("bulwark/this: the Bulwark row's mean over this row's; this - crun: what the runtime adds over crun's in a whole podman run.")
PY
