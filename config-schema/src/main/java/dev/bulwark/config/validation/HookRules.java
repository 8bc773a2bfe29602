package dev.bulwark.config.validation;

import dev.bulwark.config.model.Hook;
import dev.bulwark.config.model.Hooks;
import java.util.List;

/** Rules for {@code hooks}. */
final class HookRules {
    private HookRules() {}

    static void check(Hooks hooks, Problems problems) {
        if (hooks == null) {
            return;
        }
        check("hooks.prestart", hooks.prestart(), problems);
        check("hooks.createRuntime", hooks.createRuntime(), problems);
        check("hooks.createContainer", hooks.createContainer(), problems);
        check("hooks.startContainer", hooks.startContainer(), problems);
        check("hooks.poststart", hooks.poststart(), problems);
        check("hooks.poststop", hooks.poststop(), problems);
    }

    private static void check(String path, List<Hook> hooks, Problems problems) {
        for (int i = 0; i < hooks.size(); i++) {
            Hook hook = hooks.get(i);
            String at = Problems.at(path, i);
            problems.absolutePath(at + ".path", hook.path());
            if (hook.timeout() != null && hook.timeout() <= 0) {
                problems.add(at + ".timeout", "must be positive");
            }
        }
    }
}
