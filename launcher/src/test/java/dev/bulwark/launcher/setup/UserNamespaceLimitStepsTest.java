package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class UserNamespaceLimitStepsTest {
    private static final String KEY = HardenedDefaults.USERNS_LIMITS_ANNOTATION;

    private static Spec withAnnotation(String value) {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        Map<String, String> annotations = new LinkedHashMap<>(spec.annotations());
        if (value == null) {
            annotations.remove(KEY);
        } else {
            annotations.put(KEY, value);
        }
        return new Spec(spec.ociVersion(), spec.process(), spec.root(), spec.hostname(), spec.domainname(), spec.mounts(),
                spec.hooks(), annotations, spec.linux());
    }

    @Test
    void bulwarkSpecWritesTheDefaultsAndAConfigWithoutTheAnnotationGetsThemToo() {
        assumeTrue(Files.exists(Path.of("/proc/sys/user/max_time_namespaces")), "kernel older than 5.6");
        assumeTrue(Files.exists(Path.of("/proc/sys/user/max_fanotify_marks")), "kernel older than 5.13");
        assertEquals(HardenedDefaults.USERNS_LIMITS,
                UserNamespaceLimitSteps.parse(HardenedDefaults.spec(DefaultsOptions.root()).annotations().get(KEY)));
        assertEquals(HardenedDefaults.USERNS_LIMITS, UserNamespaceLimitSteps.forSpec(withAnnotation(null)));
    }

    @Test
    void offSetsNone() {
        assertEquals(Map.of(), UserNamespaceLimitSteps.forSpec(withAnnotation(" off ")));
    }

    @Test
    void namedLimitsReplaceTheirDefaultsAndTheOthersStay() {
        Map<String, Long> limits = UserNamespaceLimitSteps.forSpec(withAnnotation("max_inotify_instances=64, max_user_namespaces=0"));
        assertEquals(64L, limits.get("max_inotify_instances"));
        assertEquals(0L, limits.get("max_user_namespaces"));
        assertEquals(8192L, limits.get("max_inotify_watches"));
    }

    @Test
    void badEntriesNameTheAnnotation() {
        String field = "annotations[\"dev.bulwark.userns.limits\"]: ";
        assertEquals(field + "expected NAME=VALUE, got \"max_inotify_instances\" (or \"off\")",
                assertThrows(LaunchException.class, () -> UserNamespaceLimitSteps.parse("max_inotify_instances")).getMessage());
        assertEquals(field + "max_inotify_instances must be a whole number from 0 to 2147483647, got \"-1\"",
                assertThrows(LaunchException.class, () -> UserNamespaceLimitSteps.parse("max_inotify_instances=-1")).getMessage());
        assertEquals(field + "max_inotify_watches must be a whole number from 0 to 2147483647, got \"2147483648\"",
                assertThrows(LaunchException.class, () -> UserNamespaceLimitSteps.parse("max_inotify_watches=2147483648")).getMessage());
        String unknown = assertThrows(LaunchException.class, () -> UserNamespaceLimitSteps.parse("max_files=3")).getMessage();
        assertEquals(field + "unknown limit \"max_files\"; known: " + String.join(", ", HardenedDefaults.USERNS_LIMITS.keySet()), unknown);
    }
}
