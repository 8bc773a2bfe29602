package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.Hook;
import dev.bulwark.config.model.Hooks;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Config fields the launcher cannot honour yet: refused with one line naming the field, never validated and
 * then dropped. Everything else the validator accepts is applied.
 */
public final class UnsupportedFields {
    private UnsupportedFields() {
    }

    /** Throws for the first field that would be silently ignored. */
    public static void refuse(Spec spec) {
        refuseHooks(spec.hooks());
        if (!spec.linux().timeOffsets().isEmpty()) {
            throw new LaunchException("linux.timeOffsets: not supported (the offsets must be written before the time "
                    + "namespace's first process, which Bulwark's launch does not do yet); remove it");
        }
    }

    /** Hooks are not run by {@code bulwark run} yet (see the lifecycle's create/start). */
    public static void refuseHooks(Hooks hooks) {
        if (hooks == null) {
            return;
        }
        Map<String, List<Hook>> byName = new LinkedHashMap<>();
        byName.put("prestart", hooks.prestart());
        byName.put("createRuntime", hooks.createRuntime());
        byName.put("createContainer", hooks.createContainer());
        byName.put("startContainer", hooks.startContainer());
        byName.put("poststart", hooks.poststart());
        byName.put("poststop", hooks.poststop());
        for (Map.Entry<String, List<Hook>> entry : byName.entrySet()) {
            if (!entry.getValue().isEmpty()) {
                throw new LaunchException("hooks." + entry.getKey() + ": hooks are not run by this launcher yet; remove them");
            }
        }
    }
}
