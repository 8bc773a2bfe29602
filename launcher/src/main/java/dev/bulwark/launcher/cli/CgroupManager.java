package dev.bulwark.launcher.cli;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.CgroupWrite;
import dev.bulwark.launcher.cgroup.ResourceTranslator;

import java.util.List;

/**
 * crun's global {@code --cgroup-manager cgroupfs|systemd|disabled}. Podman passes {@code disabled} for
 * {@code podman run --cgroups=disabled} (with a runtime listed in containers.conf's
 * {@code runtime_supports_nocgroup}): the container gets no cgroup of its own and stays in the caller's
 * (conmon's). {@code cgroupfs} is what Bulwark always does; {@code systemd} is {@code --systemd-cgroup}.
 */
enum CgroupManager {
    CGROUPFS, SYSTEMD, DISABLED;

    static CgroupManager parse(String value) {
        return switch (value) {
            case "cgroupfs" -> CGROUPFS;
            case "systemd" -> SYSTEMD;
            case "disabled" -> DISABLED;
            default -> throw new LaunchException("--cgroup-manager: expected cgroupfs, systemd or disabled, got \"" + value + "\"");
        };
    }

    /**
     * The config as this manager runs it. {@code disabled} drops {@code linux.cgroupsPath}, so no cgroup is placed
     * (not even the limit-less one a named path gets where the v2 hierarchy can hold it), and refuses a limit that
     * only a cgroup could apply, naming its field: crun drops such limits silently, but Bulwark never runs a
     * container without a limit its config asks for.
     */
    Spec apply(Spec spec) {
        if (this != DISABLED || spec.linux() == null) {
            return spec;
        }
        List<CgroupWrite> writes;
        try {
            writes = ResourceTranslator.translate(spec.linux().resources()).writes();
        } catch (CgroupException e) {
            throw new LaunchException(e.getMessage(), e);
        }
        if (!writes.isEmpty()) {
            throw new LaunchException("--cgroup-manager disabled: " + writes.get(0).field() + " needs a cgroup, which "
                    + "this manager does not make; drop the limit (podman: --pids-limit=-1 and no --memory/--cpus) or let "
                    + "Bulwark place a cgroup");
        }
        return spec.linux().cgroupsPath() == null ? spec : spec.withLinux(spec.linux().withCgroupsPath(null));
    }
}
