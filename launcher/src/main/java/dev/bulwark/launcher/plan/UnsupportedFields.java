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
    }
}
