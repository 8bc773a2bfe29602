package dev.bulwark.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.config.model.Hook;
import dev.bulwark.config.model.Hooks;
import dev.bulwark.config.model.Mount;
import dev.bulwark.config.model.Spec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OCI hooks on real containers, root and rootless, each verb in a fresh JVM: the six kinds run at their
 * points of create, start, delete and run, in order, with the state on stdin, their args (args[0] as
 * argv[0]) and only their env; createContainer and startContainer in the container's namespaces; a
 * timeout or a failing createRuntime hook fails create with one line and leaves nothing behind; a
 * failing poststart hook is a warning.
 *
 * <p>Each hook appends its kind to {@code log} in a shared directory (mode 0777, not sticky, so that the
 * container's root, an unprivileged host user, may append to a file the launcher's user made) and
 * saves its stdin, argv, env, mount namespace and hostname there. The directory is bind-mounted into
 * the container at /hooks for startContainer, whose path resolves in the container.
 */
class HooksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SETUP_KINDS = List.of("prestart", "createRuntime", "createContainer");

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runInOrderAcrossCreateStartDeleteWithStateArgsAndEnv(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("order", mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path out = outputDirectory();
        Path bundle = bundle(mode, spec -> withHooks(Containers.withArgs(spec, "/bin/sh", "-c", "sleep 1; : " + id), out,
                new Hooks(List.of(recording("prestart", out)), List.of(recording("createRuntime", out)),
                        List.of(recording("createContainer", out)), List.of(recordingInContainer("startContainer")),
                        List.of(recording("poststart", out)), List.of(recording("poststop", out)))));
        try {
            Cli.Result create = Cli.run(mode, global(mode, "create", "--bundle", bundle.toString(), id));
            assertEquals(0, create.exitCode(), create.describe());
            assertEquals(SETUP_KINDS, log(out), "create runs prestart, createRuntime, createContainer, in order");
            JsonNode created = JSON.readTree(Cli.run(mode, global(mode, "state", id)).stdout());
            int pid = created.get("pid").asInt();
            for (String kind : SETUP_KINDS) {
                assertState(out, kind, id, pid, "creating", bundle);
                assertEquals("zero first-" + kind, Files.readString(out.resolve(kind + ".params")).strip(), "args after the script");
                if (!kind.equals("createContainer")) { // its $$ is a pid of the container's namespace, the host's /proc another's
                    String args = Files.readString(out.resolve(kind + ".args"));
                    assertTrue(args.startsWith("hook-" + kind + " -c "), "args[0] is argv[0]: " + args);
                }
                List<String> env = Files.readAllLines(out.resolve(kind + ".env"));
                assertTrue(env.contains("HOOK_ENV=env-" + kind), env.toString());
                assertTrue(env.stream().noneMatch(v -> v.startsWith("HOME=")), "only the hook's env, not the launcher's: " + env);
            }
            String containerMnt = Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "mnt")).toString();
            String hostMnt = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
            assertEquals(containerMnt, Files.readString(out.resolve("createContainer.mnt")).strip(),
                    "createContainer runs in the container's mount namespace");
            assertEquals("hooked", Files.readString(out.resolve("createContainer.hostname")).strip(),
                    "and in its uts namespace");
            assertEquals(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "pid")).toString(),
                    Files.readString(out.resolve("createContainer.pidns")).strip(), "and in its pid namespace");
            assertEquals(hostMnt, Files.readString(out.resolve("createRuntime.mnt")).strip(),
                    "createRuntime runs in the runtime's namespace");

            Cli.Result start = Cli.run(mode, global(mode, "start", id));
            assertEquals(0, start.exitCode(), start.describe());
            List<String> afterStart = new ArrayList<>(SETUP_KINDS);
            afterStart.addAll(List.of("startContainer", "poststart"));
            assertEquals(afterStart, log(out), "start runs startContainer, then poststart");
            assertState(out, "startContainer", id, pid, "created", bundle);
            assertState(out, "poststart", id, pid, "running", bundle);
            assertEquals(containerMnt, Files.readString(out.resolve("startContainer.mnt")).strip(),
                    "startContainer runs in the container's mount namespace (its path resolves there)");

            awaitStopped(mode, id);
            Cli.Result delete = Cli.run(mode, global(mode, "delete", id));
            assertEquals(0, delete.exitCode(), delete.describe());
            afterStart.add("poststop");
            assertEquals(afterStart, log(out), "delete runs poststop");
            assertState(out, "poststop", id, pid, "stopped", bundle);
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
        } finally {
            cleanUp(mode, id, bundle, out);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runRunsEveryHookAtTheSamePointsAndKeepsTheExitStatus(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("run", mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path out = outputDirectory();
        Path bundle = bundle(mode, spec -> withHooks(Containers.withArgs(spec, "/bin/sh", "-c", "sleep 0.5; exit 7"), out,
                new Hooks(List.of(recording("prestart", out)), List.of(recording("createRuntime", out)),
                        List.of(recording("createContainer", out)), List.of(recordingInContainer("startContainer")),
                        List.of(recording("poststart", out)), List.of(recording("poststop", out)))));
        try {
            Cli.Result run = Cli.run(mode, Containers.runBundle(mode, bundle, id));
            assertEquals(7, run.exitCode(), "the workload's status, as without hooks: " + run.describe());
            assertEquals(List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"),
                    log(out));
            JsonNode running = JSON.readTree(out.resolve("poststart.json").toFile());
            int pid = running.get("pid").asInt();
            assertTrue(pid > 0, running.toString());
            assertState(out, "createRuntime", id, pid, "creating", bundle);
            assertState(out, "startContainer", id, pid, "created", bundle);
            assertState(out, "poststop", id, pid, "stopped", bundle);
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
        } finally {
            cleanUp(mode, id, bundle, out);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTimeoutKillsTheHookAndCreateFailsLeavingNothing(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("timeout", mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path out = outputDirectory();
        String sleep = "sleep 30." + ProcessHandle.current().pid(); // a started child: killed with its group
        Path bundle = bundle(mode, spec -> withHooks(Containers.withArgs(spec, "/bin/true"), out,
                new Hooks(List.of(), List.of(new Hook("/bin/sh", List.of("sh", "-c", sleep + "; : " + id), List.of(), 1)),
                        List.of(), List.of(), List.of(), List.of())));
        try {
            long started = System.nanoTime();
            Cli.Result create = Cli.run(mode, global(mode, "create", "--bundle", bundle.toString(), id));
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(125, create.exitCode(), create.describe());
            assertEquals(1, create.errors().lines().count(), "one line: " + create.describe());
            assertTrue(create.errors().startsWith("bulwark: hooks.createRuntime[0]: /bin/sh: did not finish within its timeout of 1 s"),
                    create.describe());
            assertTrue(seconds < 20, "killed at its timeout, not waited for: " + seconds + " s");
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), Containers.processesMentioning(sleep), "what the hook started is killed too");
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
        } finally {
            cleanUp(mode, id, bundle, out);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFailingCreateRuntimeHookFailsCreateAndLeavesNothing(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("fail", mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path out = outputDirectory();
        Path bundle = bundle(mode, spec -> withHooks(Containers.withArgs(spec, "/bin/sh", "-c", "echo ran > /hooks/workload"), out,
                new Hooks(List.of(), List.of(recording("createRuntime", out), new Hook("/bin/sh", List.of("sh", "-c", "exit 3"), List.of(), null)),
                        List.of(recording("createContainer", out)), List.of(), List.of(), List.of())));
        try {
            Cli.Result create = Cli.run(mode, global(mode, "create", "--bundle", bundle.toString(), id));
            assertEquals(125, create.exitCode(), create.describe());
            assertEquals("bulwark: hooks.createRuntime[1]: /bin/sh: exited with status 3\n", create.errors(), create.describe());
            assertEquals(List.of("createRuntime"), log(out), "the list stops at the failing hook");
            Containers.assertNothingLeft(mode, id, mountsBefore);
            assertEquals(List.of(), LauncherKillTest.cgroupsNamed(id), "no cgroup left");
            assertFalse(Files.exists(out.resolve("workload")), "the workload never ran");
            assertEquals(1, Cli.run(mode, global(mode, "state", id)).exitCode(), "no such container");
        } finally {
            cleanUp(mode, id, bundle, out);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFailingPoststartHookIsAWarning(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("poststart", mode);
        Path out = outputDirectory();
        Path bundle = bundle(mode, spec -> withHooks(Containers.withArgs(spec, "/bin/true"), out,
                new Hooks(List.of(), List.of(), List.of(), List.of(),
                        List.of(new Hook("/bin/false", List.of("false"), List.of(), null), recording("poststart", out)),
                        List.of())));
        try {
            assertEquals(0, Cli.run(mode, global(mode, "create", "--bundle", bundle.toString(), id)).exitCode());
            Cli.Result start = Cli.run(mode, global(mode, "start", id));
            assertEquals(0, start.exitCode(), start.describe());
            assertTrue(start.stderr().contains("bulwark: warning: hooks.poststart[0]: /bin/false: exited with status 1"),
                    start.describe());
            assertEquals("", start.errors(), "only a warning");
            assertEquals(List.of("poststart"), log(out), "the next hook still runs");
        } finally {
            cleanUp(mode, id, bundle, out);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aFailingStartContainerHookFailsStartAndStopsTheContainer(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = id("startfail", mode);
        Path out = outputDirectory();
        Path bundle = bundle(mode, spec -> withHooks(Containers.withArgs(spec, "/bin/sh", "-c", "echo ran > /hooks/workload"), out,
                new Hooks(List.of(), List.of(), List.of(), List.of(new Hook("/bin/false", List.of("false"), List.of(), null)),
                        List.of(recording("poststart", out)), List.of())));
        try {
            assertEquals(0, Cli.run(mode, global(mode, "create", "--bundle", bundle.toString(), id)).exitCode());
            Cli.Result start = Cli.run(mode, global(mode, "start", id));
            assertEquals(1, start.exitCode(), start.describe());
            assertEquals(1, start.errors().lines().count(), start.describe());
            assertTrue(start.errors().contains("hooks.startContainer[0]: /bin/false: exited with status 1"), start.describe());
            awaitStopped(mode, id);
            assertFalse(Files.exists(out.resolve("workload")), "the workload never ran");
            assertEquals(List.of(), log(out), "no poststart");
        } finally {
            cleanUp(mode, id, bundle, out);
        }
    }

    // --- hooks and helpers ---

    /** A host-side hook (host /bin/sh) recording its kind, stdin, argv, env, mount namespace and hostname under {@code out}. */
    private static Hook recording(String kind, Path out) {
        String at = out + "/" + kind;
        String script = "echo " + kind + " >> " + out + "/log; cat > " + at + ".json; tr '\\0' ' ' < /proc/$$/cmdline > " + at + ".args; "
                + "echo \"$0 $1\" > " + at + ".params; env > " + at + ".env; readlink /proc/self/ns/mnt > " + at + ".mnt; "
                + "readlink /proc/self/ns/pid > " + at + ".pidns; hostname > " + at + ".hostname";
        return new Hook("/bin/sh", List.of("hook-" + kind, "-c", script, "zero", "first-" + kind), List.of("HOOK_ENV=env-" + kind), 30);
    }

    /** A hook whose path resolves in the container (busybox sh), recording to the bind-mounted /hooks. */
    private static Hook recordingInContainer(String kind) {
        String script = "echo " + kind + " >> /hooks/log; cat > /hooks/" + kind + ".json; readlink /proc/self/ns/mnt > /hooks/" + kind + ".mnt";
        return new Hook("/bin/sh", List.of("sh", "-c", script), List.of("PATH=/bin"), 30);
    }

    /** A bundle whose rootfs has the /hooks mount point (the container's root may not create it). */
    private static Path bundle(Mode mode, java.util.function.UnaryOperator<Spec> edit) throws IOException {
        Path bundle = Bundles.create(mode, edit);
        Files.createDirectories(bundle.resolve("rootfs/hooks"));
        return bundle;
    }

    /** The spec with {@code hooks}, hostname "hooked", and {@code out} bind-mounted at /hooks. */
    private static Spec withHooks(Spec spec, Path out, Hooks hooks) {
        List<Mount> mounts = new ArrayList<>(spec.mounts());
        mounts.add(new Mount("/hooks", "bind", out.toString(), List.of("rbind", "rw"), null, null));
        return new Spec(spec.ociVersion(), spec.process(), spec.root(), "hooked", spec.domainname(), mounts, hooks,
                spec.annotations(), spec.linux());
    }

    private static void assertState(Path out, String kind, String id, int pid, String status, Path bundle) throws IOException {
        JsonNode state = JSON.readTree(out.resolve(kind + ".json").toFile());
        assertEquals(id, state.get("id").asText(), kind + ": " + state);
        assertEquals(pid, state.get("pid").asInt(), kind + ": " + state);
        assertEquals(status, state.get("status").asText(), kind + ": " + state);
        assertEquals(bundle.toString(), state.get("bundle").asText(), kind + ": " + state);
        assertTrue(state.has("ociVersion"), kind + ": " + state);
    }

    private static List<String> log(Path out) throws IOException {
        return Files.readAllLines(out.resolve("log"));
    }

    /** Mode 0777 without the sticky bit, with an empty log every user may append to. */
    private static Path outputDirectory() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-hooks");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path log = Files.createFile(dir.resolve("log"));
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));
        return dir;
    }

    private static String id(String what, Mode mode) {
        return "hk-" + what + "-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid();
    }

    private static List<String> global(Mode mode, String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(mode).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    private static void awaitStopped(Mode mode, String id) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            JsonNode state = JSON.readTree(Cli.run(mode, global(mode, "state", id)).stdout());
            if (state.get("status").asText().equals("stopped")) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                fail("not stopped: " + state);
            }
            Thread.sleep(100);
        }
    }

    private static void cleanUp(Mode mode, String id, Path bundle, Path out) {
        if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
            Cli.run(mode, global(mode, "delete", "--force", id));
        }
        Bundles.delete(bundle);
        Cli.deleteTree(out);
    }
}
