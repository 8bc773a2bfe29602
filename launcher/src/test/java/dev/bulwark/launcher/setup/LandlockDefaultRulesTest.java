package dev.bulwark.launcher.setup;

import dev.bulwark.config.defaults.DefaultsOptions;
import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Root;
import dev.bulwark.config.model.Spec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Landlock's default rules follow the mounts: rw binds and tmpfs mounts are writable, nothing else changes. */
class LandlockDefaultRulesTest {
    private static final long READ_EXECUTE = LandlockSteps.READ_FILE | LandlockSteps.READ_DIR | LandlockSteps.EXECUTE;

    private static Spec withMounts(Mount... added) {
        Spec spec = HardenedDefaults.spec(DefaultsOptions.root());
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        mounts.addAll(List.of(added));
        return spec.withMounts(mounts);
    }

    @Test
    void rwBindsAndTmpfsMountsGetWriteRightsAndReadOnlyOnesDoNot() {
        Map<String, Long> rules = LandlockSteps.defaultRules(withMounts(
                new Mount("/data", "bind", "/srv/data", List.of("rbind", "nosuid", "nodev", "rw")),
                new Mount("/config", "bind", "/srv/config", List.of("rbind", "nosuid", "nodev", "ro")),
                new Mount("/legacy", null, "/srv/legacy", List.of("bind")),
                new Mount("/scratch", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "noexec", "rw", "size=64m")),
                new Mount("/frozen", "tmpfs", "tmpfs", List.of("ro"))));
        for (String writable : List.of("/data", "/legacy", "/scratch")) {
            long rights = rules.get(writable);
            assertEquals(LandlockSteps.WRITE_FILE | LandlockSteps.MAKE_REG | LandlockSteps.MAKE_DIR | LandlockSteps.REMOVE_FILE,
                    rights & (LandlockSteps.WRITE_FILE | LandlockSteps.MAKE_REG | LandlockSteps.MAKE_DIR | LandlockSteps.REMOVE_FILE),
                    writable);
            assertEquals(0, rights & (LandlockSteps.MAKE_CHAR | LandlockSteps.MAKE_BLOCK), writable + ": never device nodes");
        }
        assertFalse(rules.containsKey("/config"), "a ro bind is covered by / alone (read and execute)");
        assertFalse(rules.containsKey("/frozen"), "a ro tmpfs too");
        assertEquals(READ_EXECUTE, rules.get("/"));
    }

    @Test
    void theDefaultMountsAddNothingBeyondTodaysRules() {
        Map<String, Long> rules = LandlockSteps.defaultRules(withMounts());
        assertFalse(rules.containsKey("/dev"), "/dev's tmpfs holds the devices: no write rule beneath it");
        assertFalse(rules.containsKey("/sys"));
        assertFalse(rules.containsKey("/sys/fs/cgroup"));
        assertEquals(READ_EXECUTE | LandlockSteps.WRITE_FILE, rules.get("/proc"));
    }

    @Test
    void aWritableRootIsWritableEverywhere() {
        Spec spec = withMounts().withRoot(new Root("rootfs", false));
        assertTrue((LandlockSteps.defaultRules(spec).get("/") & LandlockSteps.MAKE_REG) != 0);
    }
}
