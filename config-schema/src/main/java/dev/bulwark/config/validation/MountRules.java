package dev.bulwark.config.validation;

import dev.bulwark.config.model.Mount;
import java.util.List;

/** Rules for {@code mounts}. */
final class MountRules {
    private MountRules() {}

    static void check(List<Mount> mounts, Problems problems) {
        for (int i = 0; i < mounts.size(); i++) {
            check(Problems.at("mounts", i), mounts.get(i), problems);
        }
    }

    private static void check(String path, Mount mount, Problems problems) {
        // Relative destinations are deprecated by the spec and resolved differently by runtimes.
        problems.absolutePath(path + ".destination", mount.destination());
        boolean bind = "bind".equals(mount.type())
                || mount.options().contains("bind") || mount.options().contains("rbind");
        if (bind && (mount.source() == null || mount.source().isEmpty())) {
            problems.add(path + ".source", "required for a bind mount");
        }
        for (int i = 0; i < mount.options().size(); i++) {
            if (mount.options().get(i).isEmpty()) {
                problems.add(Problems.at(path + ".options", i), "must not be empty");
            }
        }
        // An id-mapped mount needs both maps: mount_setattr(2) takes them from one user namespace.
        if (mount.uidMappings().isEmpty() != mount.gidMappings().isEmpty()) {
            String missing = mount.uidMappings().isEmpty() ? ".uidMappings" : ".gidMappings";
            problems.add(path + missing, "required when " + (missing.equals(".uidMappings")
                    ? "gidMappings" : "uidMappings") + " is set");
        }
        IdMappingRules.check(path + ".uidMappings", mount.uidMappings(), problems);
        IdMappingRules.check(path + ".gidMappings", mount.gidMappings(), problems);
    }

}
