package dev.bulwark.it;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10's zero-config flags of {@code bulwark run [flags] -- CMD}, each observed from inside a real
 * built-in default container, root and rootless; Landlock's default rules following the mounts; and
 * bad values as one line, exit 125, nothing left behind.
 */
class RunFlagsTest {
    private static int counter;

    private static String newId(Mode mode) {
        return "flags-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    /** {@code run --id ID --root R FLAGS -- COMMAND}. */
    private static List<String> run(Mode mode, String id, List<String> flags, String... command) {
        List<String> args = new ArrayList<>(List.of("run", "--id", id, "--root", Containers.stateRoot(mode).toString()));
        args.addAll(flags);
        args.add("--");
        args.addAll(List.of(command));
        return args;
    }

    /** A directory the mode's container root owns (host uid 1000000000 as root, the test user rootless). */
    private static Path containerOwnedDirectory(Mode mode) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-flags",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        String owner = mode == Mode.ROOT ? "1000000000:1000000000" : Mode.rootlessUid() + ":" + Mode.rootlessGid();
        assertEquals(0, new ProcessBuilder("chown", owner, dir.toString()).inheritIO().start().waitFor());
        return dir;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void envWorkdirHostnameAndCapabilitiesReachTheProcess(Mode mode) throws IOException {
        mode.assumeAvailable();
        Path envFile = Files.createTempFile(Path.of("/tmp"), "bulwark-it", ".env");
        try {
            Files.writeString(envFile, "# a comment\n\nFROM_FILE=one two\n  OVERRIDDEN=file\nFROM_LAUNCHER\nUNSET_IN_LAUNCHER\n");
            Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-r--r--"));
            String id = newId(mode);
            Cli.Result result = Cli.start(mode, run(mode, id, List.of("--env-file", envFile.toString(), "-e", "OVERRIDDEN=flag",
                    "--env", "SECOND_FROM_LAUNCHER", "-w", "/usr/bin", "--hostname", "web-1.example", "--cap-add", "net_bind_service",
                    "--cap-add", "CAP_CHOWN"), "/bin/sh", "-c",
                    "env | grep -E '^(FROM|OVERRIDDEN|SECOND|UNSET)' | sort; pwd; hostname; cat /etc/hostname; "
                            + "grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status"),
                    Map.of("FROM_LAUNCHER", "launcher value", "SECOND_FROM_LAUNCHER", "2")).await(60);
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(String.join("\n", "FROM_FILE=one two", "FROM_LAUNCHER=launcher value", "OVERRIDDEN=flag",
                    "SECOND_FROM_LAUNCHER=2", "/usr/bin", "web-1.example", "web-1.example",
                    "CapPrm:\t0000000000000401", "CapEff:\t0000000000000401", "CapBnd:\t0000000000000401",
                    "CapAmb:\t0000000000000000") + "\n", result.stdout(), result.describe());
        } finally {
            Files.deleteIfExists(envFile);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void capAddForAnotherUserIsHeldAfterTheUidChangeAndDefaultHoldsNone(Mode mode) {
        mode.assumeAvailable();
        if (mode == Mode.ROOT) { // rootless, the user namespace maps container root alone: there is no other uid to run as
            Cli.Result added = Cli.run(mode, run(mode, newId(mode), List.of("--user", "1000:1000", "--cap-add", "NET_BIND_SERVICE"),
                    "/bin/sh", "-c", "id -u; grep -E '^Cap(Eff|Amb)' /proc/self/status"));
            assertEquals(0, added.exitCode(), added.describe());
            assertEquals("1000\nCapEff:\t0000000000000400\nCapAmb:\t0000000000000400\n", added.stdout(), added.describe());
        }
        Cli.Result none = Cli.run(mode, run(mode, newId(mode), List.of("--cap-drop", "ALL"), "/bin/sh", "-c",
                "grep -E '^Cap(Eff|Bnd)' /proc/self/status"));
        assertEquals("CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n", none.stdout(), none.describe());
    }

    /** Landlock on (the /dev tmpfs, writable by container root, stays denied), yet rw binds and --tmpfs take writes. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void rwMountsAndTmpfsAreWritableUnderLandlockAndReadOnlyMountsAreNot(Mode mode) throws Exception {
        mode.assumeAvailable();
        Path data = containerOwnedDirectory(mode);
        Path readOnly = containerOwnedDirectory(mode);
        try {
            Cli.Result result = Cli.run(mode, run(mode, newId(mode), List.of("--explain", "--mount", data + ":/data:rw",
                    "-v", readOnly + ":/config:ro", "--tmpfs", "/scratch:size=4m,mode=700", "-v", data + ":/volume",
                    "--mount", "type=tmpfs,destination=/cache"), "/bin/sh", "-c",
                    "echo written > /data/out && echo data=ok; mkdir /data/sub && echo sub=ok; "
                            + "echo v > /volume/v && echo volume=ok; echo c > /cache/c && echo cache=ok; "
                            + "echo x > /scratch/f && echo scratch=ok; stat -c %a /scratch; df -k /scratch | tail -1 | tr -s ' ' | cut -d' ' -f2; "
                            + "touch /config/no 2>&1 | grep -o 'Read-only file system'; "
                            + "touch /dev/no 2>&1 | grep -o 'Permission denied'; touch /etc/no 2>&1 | grep -o 'Read-only file system'"));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("data=ok\nsub=ok\nvolume=ok\ncache=ok\nscratch=ok\n700\n4096\nRead-only file system\nPermission denied\nRead-only file system\n",
                    result.stdout(), result.describe());
            assertTrue(result.stderr().contains(", /data read+execute+write+create"), result.describe());
            assertTrue(result.stderr().contains(", /scratch read+execute+write+create"), result.describe());
            assertFalse(result.stderr().contains(", /config "), "a ro mount gets no rule of its own: " + result.describe());
            assertTrue(result.stderr().contains("enforce the Landlock ruleset"), result.describe());
            assertEquals("written\n", Files.readString(data.resolve("out")), "the write landed on the host's directory");
        } finally {
            Cli.deleteTree(data);
            Cli.deleteTree(readOnly);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void readOnlyFalseWritesStayInTheContainerAndNeverReachTheHostsUsr(Mode mode) throws IOException {
        mode.assumeAvailable();
        long envSize = Files.size(Path.of("/usr/bin/env"));
        String probe = "bulwark-it-probe-" + ProcessHandle.current().pid();
        Cli.Result readOnly = Cli.run(mode, run(mode, newId(mode), List.of(), "/bin/sh", "-c",
                "touch /etc/" + probe + " 2>&1 | grep -o 'Read-only file system'; mkdir /opt 2>&1 | grep -o 'Read-only file system'"));
        assertEquals("Read-only file system\nRead-only file system\n", readOnly.stdout(), "the default root: " + readOnly.describe());

        Cli.Result writable = Cli.run(mode, run(mode, newId(mode), List.of("--read-only=false"), "/bin/sh", "-c",
                "echo hi > /etc/" + probe + " && cat /etc/" + probe + "; mkdir -p /opt/app && echo opt=ok; "
                        + "touch /usr/" + probe + " 2>&1 | grep -o 'Read-only file system'; "
                        + "(echo x >> /usr/bin/env) 2>/dev/null || echo usr-bin=refused"));
        assertEquals(0, writable.exitCode(), writable.describe());
        assertEquals("hi\nopt=ok\nRead-only file system\nusr-bin=refused\n", writable.stdout(), writable.describe());
        assertEquals(envSize, Files.size(Path.of("/usr/bin/env")), "the host's /usr/bin/env is unchanged");
        assertFalse(Files.exists(Path.of("/usr", probe)), "nothing written to the host's /usr");
        assertFalse(Files.exists(Path.of("/etc", probe)), "nothing written to the host's /etc");

        Cli.Result next = Cli.run(mode, run(mode, newId(mode), List.of("--read-only=false"), "/bin/sh", "-c",
                "test -e /etc/" + probe + " && echo kept || echo gone"));
        assertEquals("gone\n", next.stdout(), "a writable root is private to its container: " + next.describe());
    }

    /** runc's "run ID" (one word, no --) runs the working directory's bundle; "run -- CMD" never does. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void runcsRunIdFormUsesTheWorkingDirectorysBundle(Mode mode) throws IOException {
        mode.assumeAvailable();
        Bundles.assumeBusybox();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/sh", "-c", "echo from the bundle"));
        try {
            String id = newId(mode);
            Cli.Result result = Cli.runIn(mode, bundle, List.of("run", "--root", Containers.stateRoot(mode).toString(), id));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("from the bundle\n", result.stdout(), result.describe());
            Cli.Result builtIn = Cli.runIn(mode, bundle, run(mode, newId(mode), List.of(), "/bin/sh", "-c",
                    "test -e /usr/lib/os-release && echo built-in"));
            assertEquals("built-in\n", builtIn.stdout(), builtIn.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void badFlagValuesAreOneLineNamingTheFlagAndLeaveNothingBehind(Mode mode) throws IOException {
        mode.assumeAvailable();
        Path envFile = Files.createTempFile(Path.of("/tmp"), "bulwark-it-bad", ".env");
        Path bundle = null;
        try {
            Files.writeString(envFile, "GOOD=1\n# fine\nNOT A NAME=2\n");
            Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-r--r--"));
            Map<List<String>, String> cases = new java.util.LinkedHashMap<>();
            cases.put(List.of("--cap-add", "NET_BIND_SERVCE"), "bulwark: --cap-add: unknown capability \"NET_BIND_SERVCE\"");
            cases.put(List.of("--cap-drop", "bogus"), "bulwark: --cap-drop: unknown capability \"bogus\"");
            cases.put(List.of("--cap-add", "all"), "bulwark: --cap-add: ALL is refused for the built-in default");
            cases.put(List.of("--env-file", envFile.toString()), "bulwark: --env-file: " + envFile + ":3: variable name \"NOT A NAME\"");
            cases.put(List.of("--env-file", "/nonexistent/env"), "bulwark: --env-file: /nonexistent/env: does not exist");
            cases.put(List.of("--tmpfs", "/scratch:size=lots"), "bulwark: --tmpfs: size \"lots\" is not a size");
            cases.put(List.of("--tmpfs", "/scratch:uid=0"), "bulwark: --tmpfs: option \"uid=0\" is not supported");
            cases.put(List.of("--mount", "/nonexistent/src:/data:rw"), "bulwark: --mount: source /nonexistent/src does not exist");
            cases.put(List.of("-v", "/nonexistent/src:/data"), "bulwark: --volume: source /nonexistent/src does not exist");
            cases.put(List.of("--mount", "/tmp:/data:rx"), "bulwark: --mount: expected SRC:DST[:ro|rw]");
            cases.put(List.of("--hostname", "not_a_host"), "bulwark: --hostname: \"not_a_host\" is not a host name");
            cases.put(List.of("--workdir", "relative"), "bulwark: --workdir: \"relative\" must be an absolute path");
            String unmapped = mode == Mode.ROOT ? "70000" : "1000"; // root maps 65536 ids, rootless container root alone
            cases.put(List.of("--user", unmapped), "bulwark: --user: uid " + unmapped + " is not mapped in the container's user namespace");
            Set<String> mountsBefore = Containers.hostMounts();
            for (Map.Entry<List<String>, String> c : cases.entrySet()) {
                String id = newId(mode);
                Cli.Result result = Cli.run(mode, run(mode, id, c.getKey(), "/bin/true"));
                assertOneLine(result, c.getValue());
                Containers.assertNothingLeft(mode, id, mountsBefore);
            }
            Bundles.assumeBusybox();
            bundle = Bundles.create(mode, spec -> Containers.withArgs(spec, "/bin/true"));
            for (String flag : List.of("--hostname=x", "--cap-add=CHOWN", "--env-file=" + envFile, "--tmpfs=/x", "-v=/tmp:/x",
                    "--read-only=false", "--workdir=/")) {
                String id = newId(mode);
                List<String> args = Containers.runBundle(mode, bundle, id);
                args.add(1, flag);
                Cli.Result result = Cli.run(mode, args);
                String name = flag.substring(0, flag.indexOf('=')).replace("-v", "--volume");
                assertOneLine(result, "bulwark: " + name + ": applies to the built-in default (run [flags] -- CMD) only");
                Containers.assertNothingLeft(mode, id, mountsBefore);
            }
        } finally {
            Files.deleteIfExists(envFile);
            if (bundle != null) {
                Bundles.delete(bundle);
            }
        }
    }

    private static void assertOneLine(Cli.Result result, String start) {
        assertEquals(125, result.exitCode(), result.describe());
        assertEquals("", result.stdout(), result.describe());
        List<String> lines = result.errors().lines().toList();
        assertEquals(1, lines.size(), "one line: " + result.describe());
        assertTrue(lines.get(0).startsWith(start), "expected \"" + start + "...\": " + result.describe());
    }
}
