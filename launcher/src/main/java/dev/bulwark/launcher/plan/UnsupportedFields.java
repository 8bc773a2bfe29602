package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

/**
 * Config fields the launcher cannot honour yet: refused with one line naming the field, never validated and
 * then dropped. Everything else the validator accepts is applied.
 */
public final class UnsupportedFields {
    private UnsupportedFields() {
    }

    /** Throws for the first field that would be silently ignored. */
    public static void refuse(Spec spec) {
        if (!spec.linux().timeOffsets().isEmpty()) {
            throw new LaunchException("linux.timeOffsets: not supported (the offsets must be written before the time "
                    + "namespace's first process, which Bulwark's launch does not do yet); remove it");
        }
        if (spec.hooks() != null && !spec.hooks().startContainer().isEmpty() && !spec.linux().hasNamespace("user")) {
            // runc runs them from the init after its capabilities are dropped; Bulwark spawns them from the launcher,
            // so without a user namespace an image's binary would run as host root with every capability.
            throw new LaunchException("hooks.startContainer: not supported without a user namespace (the hook's path is "
                    + "the container's, and Bulwark does not yet confine it as the workload is); add {\"type\": \"user\"} "
                    + "to linux.namespaces or use a createContainer hook");
        }
    }
}
