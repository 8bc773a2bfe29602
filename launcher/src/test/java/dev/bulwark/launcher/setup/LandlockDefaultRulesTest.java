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
    @Test
    void eachRuleReplacesTheScratchFdWithDup3AndOnlyTheLastIsClosed() throws java.io.IOException {
        java.nio.file.Path bundle = java.nio.file.Files.createTempDirectory("landlock-steps");
        try (dev.bulwark.nativ.spawn.SyscallTable table = new dev.bulwark.nativ.spawn.SyscallTable()) {
            ChildSteps steps = new ChildSteps(table, -1);
            var context = new dev.bulwark.launcher.plan.ContainerContext("t", withMounts(), bundle, bundle, false, false, 0, 0, List.of());
            LandlockSteps landlock = LandlockSteps.forSpec(steps, context);
            org.junit.jupiter.api.Assumptions.assumeTrue(landlock != null, "Landlock is not available on this kernel");
            int scratch = 1000;
            landlock.buildRuleset(scratch);
            var numbers = dev.bulwark.nativ.SyscallNumbers.host();
            int rules = 0;
            int dups = 0;
            List<Integer> closes = new ArrayList<>();
            int lastRule = -1;
            for (int i = 0; i < table.size(); i++) {
                var entry = table.entry(i);
                if (entry.number() == numbers.require("landlock_add_rule")) {
                    rules++;
                    lastRule = i;
                } else if (entry.number() == numbers.require("dup3") && entry.argument(1) == scratch) {
                    dups++;
                } else if (entry.number() == numbers.require("close") && entry.argumentSource(0) < 0 && entry.argument(0) == scratch) {
                    closes.add(i);
                }
            }
            assertTrue(rules > 0);
            assertEquals(rules, dups, "every rule's fd reaches the scratch number by dup3 (which replaces the one before)");
            assertEquals(List.of(lastRule + 1), closes, "the scratch fd is closed once, right after the last rule");
        } finally {
            java.nio.file.Files.deleteIfExists(bundle);
        }
    }
}
