package dev.bulwark.it;

import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The workload's identity, umask and environment, and the narrated (--explain) launch. */
class ProcessSetupTest {
    private static int counter;

    private static String newId(Mode mode) {
        return "proc-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    @Test
    void userGroupsUmaskAndEnvironmentAreTheConfigured() {
        Mode mode = Mode.ROOT; // supplementary groups need setgroups, which rootless user namespaces deny
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> {
            Process p = spec.process();
            Process process = new Process(p.terminal(), p.consoleSize(), new User(1000, 1001, 027L, List.of(2000L, 2001L), null),
                    List.of("/bin/sh", "-c", "id -u; id -g; id -G; umask; echo $GREETING; touch /tmp/f; stat -c %a /tmp/f"),
                    null, List.of("PATH=/bin", "GREETING=hello"), "/", p.capabilities(), p.rlimits(), p.noNewPrivileges(),
                    null, null, null, null, null);
            var withTmp = new java.util.ArrayList<>(spec.mounts());
            withTmp.add(new dev.bulwark.config.model.Mount("/tmp", "tmpfs", "tmpfs", List.of("mode=1777")));
            return spec.withProcess(process).withMounts(withTmp);
        });
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(List.of("1000", "1001", "1001 2000 2001", "0027", "hello", "640"), result.stdout().lines().toList());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void unmappedUserIsRejectedByName(Mode mode) {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> {
            Process p = spec.process();
            return spec.withProcess(new Process(p.terminal(), p.consoleSize(), new User(70000, 0, null, List.of(), null),
                    List.of("/bin/true"), null, p.env(), p.cwd(), p.capabilities(), p.rlimits(), p.noNewPrivileges(),
                    null, null, null, null, null));
        });
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(125, result.exitCode(), result.describe());
            assertEquals("bulwark: process.user.uid: 70000 is not mapped by the user namespace", result.errors().trim());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void explainNarratesEveryStageAsItHappens(Mode mode) {
        mode.assumeAvailable();
        List<String> args = Containers.runDefault(mode, newId(mode), "/bin/true");
        args.add(1, "--explain");
        Cli.Result result = Cli.run(mode, args);
        assertEquals(0, result.exitCode(), result.describe());
        List<String> lines = result.errors().lines().toList();
        List<String> expectedInOrder = List.of("[bulwark] namespaces: new user, pid, mount", "[bulwark] user namespace: uid_map 0 ",
                "[bulwark] wait for the launcher", "become uid 0 of the user namespace", "[bulwark] mount proc on /proc",
                "[bulwark] pivot_root into ", "[bulwark] remount / read-only", "capabilities from the bounding set: CAP_CHOWN",
                "[bulwark] set no_new_privs", "[bulwark] wait for the narrator", "[bulwark] execute /bin/true");
        int at = 0;
        for (String expected : expectedInOrder) {
            int found = -1;
            for (int i = at; i < lines.size(); i++) {
                if (lines.get(i).contains(expected)) {
                    found = i;
                    break;
                }
            }
            assertTrue(found >= 0, "\"" + expected + "\" after line " + at + " in:\n" + result.stderr());
            at = found + 1;
        }
        assertTrue(lines.stream().filter(l -> l.startsWith("[bulwark] ") && !l.contains(": "))
                        .allMatch(l -> l.contains("  -- ") || l.contains("execute")),
                "every child step is explained: " + result.stderr());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void signalsStartUnblockedAndNotIgnoredAndSysIsReadOnly(Mode mode) {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c",
                "grep -E '^Sig(Blk|Ign)' /proc/self/status; grep ' /sys ' /proc/mounts"));
        try {
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            // The launcher's JVM blocks SIGQUIT in its threads and ignores others; none of that may reach the workload.
            assertTrue(result.stdout().contains("SigBlk:\t0000000000000000"), result.describe());
            assertTrue(result.stdout().contains("SigIgn:\t0000000000000000"), result.describe());
            String sys = result.stdout().lines().filter(l -> l.contains(" /sys ")).findFirst().orElseThrow();
            assertTrue(sys.split(" ")[3].startsWith("ro"), "/sys read-only: " + sys);
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void aMappingOntoHostRootNeedsTheConfirmingFlag() {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> {
            var l = spec.linux();
            var toHostRoot = List.of(new dev.bulwark.config.model.LinuxIdMapping(0, 0, 65536));
            return Containers.withArgs(spec, "/bin/sh", "-c", "cat /proc/self/uid_map").withLinux(new dev.bulwark.config.model.Linux(
                    toHostRoot, toHostRoot, l.sysctl(), l.resources(), l.cgroupsPath(), l.namespaces(), l.devices(), l.seccomp(),
                    l.rootfsPropagation(), l.maskedPaths(), l.readonlyPaths(), l.mountLabel(), l.intelRdt(), l.personality(),
                    l.timeOffsets()));
        });
        try {
            String id = newId(mode);
            Cli.Result refused = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(125, refused.exitCode(), refused.describe());
            assertEquals("bulwark: linux.uidMappings[0]: maps container id 0 to host root; pass --allow-host-root to confirm",
                    refused.errors().trim());
            List<String> confirmed = Containers.runBundle(mode, bundle, newId(mode));
            confirmed.add(1, "--allow-host-root");
            Cli.Result allowed = Cli.run(mode, confirmed);
            assertEquals(0, allowed.exitCode(), allowed.describe());
            assertEquals("0 0 65536", allowed.stdout().trim().replaceAll("\\s+", " "));
        } finally {
            Bundles.delete(bundle);
        }
    }
}
