package dev.bulwark.launcher.plan;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;

import java.util.ArrayList;
import java.util.List;

/**
 * The zero-config container: Bulwark's hardened defaults running {@code command}, with a small
 * writable /tmp; its root is assembled from the host's /usr by the launcher (no image to download).
 */
public final class BuiltInDefault {
    private BuiltInDefault() {
    }

    public static Spec spec(int euid, int egid, List<String> command) {
        DefaultsOptions options = euid == 0 ? DefaultsOptions.root() : DefaultsOptions.rootless(euid, egid);
        Spec spec = HardenedDefaults.spec(options);
        Process process = spec.process().withTerminal(false).withArgs(List.copyOf(command));
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        mounts.add(new Mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", "size=65536k")));
        return spec.withProcess(process).withMounts(mounts);
    }
}
