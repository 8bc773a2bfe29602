package dev.bulwark.it;

import dev.bulwark.config.model.Mount;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code bulwark exec} (issue 9), runc's command line: a new process inside a running container, in all its
 * namespaces and confined as its init is (no_new_privs, seccomp, capabilities, Landlock, read-only root),
 * into a built-in default started with {@code run --detach} and a busybox bundle made with create + start.
 */
class ExecTest {
    private static int counter;

    private static String newId(Mode mode) {
        return "exec-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    private static List<String> cli(Mode mode, String... verb) {
        List<String> args = new ArrayList<>(List.of("--root", Containers.stateRoot(mode).toString()));
        args.addAll(List.of(verb));
        return args;
    }

    private static Cli.Result exec(Mode mode, String id, String... command) {
        List<String> args = cli(mode, "exec", id);
        args.addAll(List.of(command));
        return Cli.run(mode, args);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void execIntoADetachedBuiltInDefaultIsConfinedAsItsInit(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-exec");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        try {
            Cli.Result run = Cli.run(mode, cli(mode, "run", "--detach", "--id", id, "--", "/bin/sh", "-c", "exec sleep 1000"));
            assertEquals(0, run.exitCode(), run.describe());
            int init = initPid(mode, id);

            Cli.Result who = exec(mode, id, "id");
            assertEquals(0, who.exitCode(), who.describe());
            assertTrue(who.stdout().startsWith("uid=0(root) gid=0(root)"), "container root: " + who.stdout());

            Cli.Result status = exec(mode, id, "cat", "/proc/self/status");
            assertEquals(0, status.exitCode(), status.describe());
            Map<String, String> initStatus = statusFields(Files.readString(Path.of("/proc", Integer.toString(init), "status")));
            Map<String, String> execStatus = statusFields(status.stdout());
            for (String field : List.of("NoNewPrivs", "Seccomp", "CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb")) {
                assertEquals(initStatus.get(field), execStatus.get(field), field + " as the init's");
            }
            assertEquals("1", execStatus.get("NoNewPrivs"));
            assertEquals("2", execStatus.get("Seccomp"), "a seccomp filter");
            assertEquals("0000000000000000", execStatus.get("CapEff"));
            assertNotEquals(String.valueOf(init), execStatus.get("Pid"), "its own pid namespace: not the host's numbers");

            assertEquals(7, exec(mode, id, "sh", "-c", "exit 7").exitCode(), "the process's exit status");
            assertEquals(128 + 9, exec(mode, id, "sh", "-c", "kill -9 $$").exitCode(), "128 + the signal that killed it");

            Cli.Result ps = exec(mode, id, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; kill -0 1 && echo signal-ok");
            assertEquals(0, ps.exitCode(), ps.describe());
            assertEquals("sleep 1000 \nsignal-ok\n", ps.stdout(), "pid 1 is the container's init, and the process may signal it");

            Cli.Result write = exec(mode, id, "sh", "-c", "touch /usr/bulwark-exec 2>&1; echo hi > /tmp/f && cat /tmp/f");
            assertTrue(write.stdout().contains("Read-only file system"), "the container's read-only root: " + write.describe());
            assertTrue(write.stdout().endsWith("hi\n"), "its /tmp is writable: " + write.describe());

            Cli.Result flags = Cli.run(mode, cli(mode, "exec", "-e", "FOO=bar", "--cwd", "/tmp", id, "sh", "-c", "echo $FOO; pwd"));
            assertEquals("bar\n/tmp\n", flags.stdout(), flags.describe());

            Path pidFile = dir.resolve("exec.pid");
            Cli.Result detached = Cli.run(mode, cli(mode, "exec", "--detach", "--pid-file", pidFile.toString(), id, "sleep", "1000"));
            assertEquals(0, detached.exitCode(), detached.describe());
            assertEquals("", detached.stdout(), "--detach prints nothing");
            int execPid = Integer.parseInt(Files.readString(pidFile).strip());
            assertEquals(namespaces(init), namespaces(execPid), "every namespace of the init joined");
            assertEquals("sleep\n", Files.readString(Path.of("/proc", Integer.toString(execPid), "comm")));
            SignalsAndExitTest.kill("KILL", execPid);

            // A foreground exec's launcher (the process's parent) is non-dumpable: its /proc files are host root's,
            // so no process of its user (a rootless container's) can ptrace it or read its memory and fds.
            Path foregroundPid = dir.resolve("foreground.pid");
            var foreground = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                    Cli.run(mode, cli(mode, "exec", "--pid-file", foregroundPid.toString(), id, "sleep", "3")));
            for (int i = 0; i < 200 && !Files.exists(foregroundPid); i++) {
                Thread.sleep(50);
            }
            int foregroundExec = Integer.parseInt(Files.readString(foregroundPid).strip());
            Map<String, String> execFields = statusFields(Files.readString(Path.of("/proc", Integer.toString(foregroundExec), "status")));
            String launcher = execFields.get("PPid");
            String launcherUid = statusFields(Files.readString(Path.of("/proc", launcher, "status"))).get("Uid").split("\\s+")[0];
            Object owner = Files.getAttribute(Path.of("/proc", launcher, "environ"), "unix:uid");
            if (!launcherUid.equals("0")) {
                assertEquals(0, owner, "the launcher (uid " + launcherUid + ") is non-dumpable");
            }
            assertEquals(0, foreground.get().exitCode(), foreground.get().describe());

            SignalsAndExitTest.kill("KILL", init);
            awaitStopped(mode, id);
            Cli.Result stopped = exec(mode, id, "true");
            assertEquals(255, stopped.exitCode(), stopped.describe());
            assertEquals("bulwark: container " + id + ": cannot exec in a stopped container\n", stopped.errors());
            assertEquals(0, Cli.run(mode, cli(mode, "delete", id)).exitCode());
            Cli.Result missing = exec(mode, id, "true");
            assertEquals(255, missing.exitCode(), missing.describe());
            assertEquals("bulwark: container \"" + id + "\" does not exist\n", missing.errors());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            forceDelete(mode, id);
            Cli.deleteTree(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void execWithAProcessFileIntoACreatedAndStartedBundle(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        // A writable tmpfs on /root that the Landlock rules leave out: only Landlock can refuse a write there.
        Path bundle = Bundles.create(mode, spec -> {
            List<Mount> mounts = new ArrayList<>(spec.mounts());
            mounts.add(new Mount("/root", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777")));
            mounts.add(new Mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777")));
            Map<String, String> annotations = new HashMap<>(spec.annotations());
            annotations.put("dev.bulwark.landlock", "/=rx;/tmp=rw;/dev=rw;/proc=r");
            return Containers.withArgs(spec.withMounts(mounts).withAnnotations(annotations), "/bin/sleep", "1000");
        });
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "bulwark-it-exec");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        try {
            Cli.Result create = Cli.run(mode, cli(mode, "create", "--bundle", bundle.toString(), id));
            assertEquals(0, create.exitCode(), create.describe());
            assertEquals(0, Cli.run(mode, cli(mode, "start", id)).exitCode());
            int init = initPid(mode, id);

            Path process = dir.resolve("process.json");
            Files.writeString(process, """
                    {"args": ["/bin/sh", "-c", "echo $GREETING; pwd; id -u; touch /root/x 2>&1; echo t > /tmp/t && echo tmp-ok; exit 4"],
                     "env": ["PATH=/bin", "GREETING=hello"], "cwd": "/tmp", "user": {"uid": 0, "gid": 0}}
                    """);
            Files.setPosixFilePermissions(process, PosixFilePermissions.fromString("rw-r--r--"));
            Cli.Result fromFile = Cli.run(mode, cli(mode, "exec", "--process", process.toString(), id));
            assertEquals(4, fromFile.exitCode(), fromFile.describe());
            List<String> lines = fromFile.stdout().lines().toList();
            assertEquals(5, lines.size(), fromFile.describe());
            assertEquals(List.of("hello", "/tmp", "0"), lines.subList(0, 3), fromFile.describe());
            assertTrue(lines.get(3).contains("Permission denied"), "Landlock, as for the init: " + fromFile.describe());
            assertEquals("tmp-ok", lines.get(4), fromFile.describe());

            Map<String, String> initStatus = statusFields(Files.readString(Path.of("/proc", Integer.toString(init), "status")));
            Cli.Result status = exec(mode, id, "cat", "/proc/self/status");
            Map<String, String> execStatus = statusFields(status.stdout());
            for (String field : List.of("NoNewPrivs", "Seccomp", "CapEff", "CapBnd")) {
                assertEquals(initStatus.get(field), execStatus.get(field), field + " as the init's: " + status.describe());
            }

            // process.oomScoreAdj: the exec'd process's own, as runc's exec sets it (the init's stays)
            String initOom = Files.readString(Path.of("/proc", Integer.toString(init), "oom_score_adj"));
            Files.writeString(process, "{\"args\": [\"/bin/cat\", \"/proc/self/oom_score_adj\"], \"cwd\": \"/\","
                    + " \"user\": {\"uid\": 0, \"gid\": 0}, \"oomScoreAdj\": 500}");
            Cli.Result oom = Cli.run(mode, cli(mode, "exec", "--process", process.toString(), id));
            assertEquals(0, oom.exitCode(), oom.describe());
            assertEquals("500\n", oom.stdout(), oom.describe());
            assertEquals(initOom, Files.readString(Path.of("/proc", Integer.toString(init), "oom_score_adj")));

            // --preserve-fds: as for run and create, only fds the launcher inherited (open, not close-on-exec, not the JVM's)
            Cli.Result unpassed = Cli.run(mode, cli(mode, "exec", "--preserve-fds", "5", id, "true"));
            assertEquals(125, unpassed.exitCode(), unpassed.describe());
            assertTrue(unpassed.errors().matches("bulwark: --preserve-fds: fd \\d+ is (not open in the launcher|the launcher's own) .*\n"),
                    unpassed.describe());

            Files.writeString(process, "{\"args\": [\"/bin/true\"], \"cwd\": \"tmp\", \"user\": {\"uid\": 0, \"gid\": 0}}");
            Cli.Result bad = Cli.run(mode, cli(mode, "exec", "--process", process.toString(), id));
            assertEquals(125, bad.exitCode(), bad.describe());
            assertEquals("bulwark: process.cwd: must be absolute\n", bad.errors());
            Files.writeString(process, "{\"args\": \"/bin/true\"}");
            Cli.Result malformed = Cli.run(mode, cli(mode, "exec", "--process", process.toString(), id));
            assertEquals(125, malformed.exitCode(), malformed.describe());
            assertTrue(malformed.errors().matches("bulwark: --process \\S+: process\\.args: .*\n"), malformed.errors());
            assertEquals(List.of(init), processesIn(init), "a refused exec leaves no process in the container");

            assertEquals(0, Cli.run(mode, cli(mode, "delete", "--force", id)).exitCode());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            forceDelete(mode, id);
            Bundles.delete(bundle);
            Cli.deleteTree(dir);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void signalsToAForegroundExecReachItsProcess(Mode mode) throws Exception {
        mode.assumeAvailable();
        String id = newId(mode);
        Set<String> mountsBefore = Containers.hostMounts();
        try {
            Cli.Result run = Cli.run(mode, cli(mode, "run", "--detach", "--id", id, "--", "/bin/sh", "-c", "exec sleep 1000"));
            assertEquals(0, run.exitCode(), run.describe());
            Cli.Running running = Cli.start(mode, cli(mode, "exec", id, "/bin/sh", "-c",
                    "trap 'echo got-HUP' HUP; trap 'echo got-USR1' USR1; trap 'echo got-TERM; exit 7' TERM; "
                            + "echo ready; while true; do sleep 0.05; done"));
            SignalsAndExitTest.awaitOutput(running, "ready");
            long launcher = running.process().pid();
            for (String signal : List.of("HUP", "USR1")) {
                SignalsAndExitTest.kill(signal, launcher);
                SignalsAndExitTest.awaitOutput(running, "got-" + signal);
            }
            SignalsAndExitTest.kill("TERM", launcher);
            Cli.Result result = running.await(30);
            assertEquals(7, result.exitCode(), "the trap's exit status: " + result.describe());
            assertTrue(result.stdout().contains("got-TERM"), result.describe());
            assertEquals(0, Cli.run(mode, cli(mode, "delete", "--force", id)).exitCode());
            Containers.assertNothingLeft(mode, id, mountsBefore);
        } finally {
            forceDelete(mode, id);
        }
    }

    private static int initPid(Mode mode, String id) {
        Cli.Result state = Cli.run(mode, cli(mode, "state", id));
        assertEquals(0, state.exitCode(), state.describe());
        var matcher = java.util.regex.Pattern.compile("\"pid\" *: *(\\d+)").matcher(state.stdout());
        assertTrue(matcher.find(), state.stdout());
        return Integer.parseInt(matcher.group(1));
    }

    private static Map<String, String> statusFields(String status) {
        Map<String, String> fields = new HashMap<>();
        status.lines().filter(l -> l.contains(":")).forEach(l -> fields.put(l.substring(0, l.indexOf(':')), l.substring(l.indexOf(':') + 1).strip()));
        return fields;
    }

    private static List<String> namespaces(int pid) throws IOException {
        List<String> links = new ArrayList<>();
        for (String type : List.of("user", "mnt", "pid", "net", "ipc", "uts", "cgroup")) {
            links.add(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", type)).toString());
        }
        return links;
    }

    /** The processes whose pid namespace is the init's. */
    private static List<Integer> processesIn(int init) throws IOException {
        String namespace = Files.readSymbolicLink(Path.of("/proc", Integer.toString(init), "ns", "pid")).toString();
        List<Integer> found = new ArrayList<>();
        try (var entries = Files.list(Path.of("/proc"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit)) {
                    try {
                        if (Files.readSymbolicLink(entry.resolve("ns/pid")).toString().equals(namespace)) {
                            found.add(Integer.parseInt(name));
                        }
                    } catch (IOException e) {
                        // exited meanwhile
                    }
                }
            }
        }
        return found;
    }

    private static void awaitStopped(Mode mode, String id) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            Cli.Result state = Cli.run(mode, cli(mode, "state", id));
            if (state.stdout().contains("\"stopped\"")) {
                return;
            }
            Thread.sleep(100);
        }
        fail("container " + id + " did not stop");
    }

    private static void forceDelete(Mode mode, String id) {
        if (Files.exists(Cli.stateRoot(mode).resolve(id))) {
            Cli.run(mode, cli(mode, "delete", "--force", id));
        }
    }
}
