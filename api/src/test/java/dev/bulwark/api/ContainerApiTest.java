package dev.bulwark.api;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The API launching real containers from this JVM (as whatever user runs the tests: root in CI, see RootlessApiTest). */
class ContainerApiTest {
    @BeforeAll
    static void machineRunsContainers() {
        assumeTrue(Bulwark.unsupportedReason().isEmpty(), () -> Bulwark.unsupportedReason().orElse(""));
    }

    @Test
    void runCollectsStdoutAndStderrSeparatelyWithTheExitStatus() {
        ContainerResult result = Bulwark.container("/bin/sh", "-c", "echo out; echo err >&2; exit 3").run();
        assertEquals(3, result.exitStatus());
        assertEquals("out\n", result.stdout());
        assertEquals("err\n", result.stderr());
    }

    @Test
    void settingsMeanWhatTheCliFlagsMean(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("in.txt"), "from the host");
        Path out = Files.createDirectories(dir.resolve("out"));
        out.toFile().setWritable(true, false);
        ContainerResult result = Bulwark.container("/bin/sh", "-c",
                        "echo $GREETING; pwd; hostname; cat /in/in.txt; echo; echo written > /out/file; "
                                + "echo scratch > /scratch/x && cat /scratch/x")
                .env("GREETING", "hello").workdir("/tmp").hostname("fixture").mountReadOnly(dir, "/in")
                .mountWritable(out, "/out").tmpfs("/scratch", "size=1m").run();
        assertEquals(0, result.exitStatus(), result.stderr());
        assertEquals("hello\n/tmp\nfixture\nfrom the host\nscratch\n", result.stdout());
        assertEquals("written\n", Files.readString(out.resolve("file")));
    }

    @Test
    void aBuilderStartedAgainReusesItsSettledConfigUntilASettingChanges() {
        ContainerBuilder builder = Bulwark.container("/bin/sh", "-c", "echo $GREETING; hostname").env("GREETING", "one");
        ContainerResult first = builder.run();
        ContainerResult second = builder.run();
        assertEquals("one\nbulwark\n", first.stdout(), first.stderr());
        assertEquals(first.stdout(), second.stdout());
        assertFalse(first.id().equals(second.id()), "each start is a container of its own");
        ContainerResult changed = builder.env("GREETING", "two").hostname("changed").run();
        assertEquals("two\nchanged\n", changed.stdout(), "a changed setting is settled afresh");
    }

    @Test
    void startGivesAHandleThatStreamsSignalsAndStops() throws Exception {
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", "trap 'echo bye; exit 7' TERM; echo ready; "
                + "while :; do sleep 0.1; done").start()) {
            assertTrue(container.pid() > 0);
            assertTrue(container.isRunning());
            InputStream stdout = container.stdout();
            byte[] ready = stdout.readNBytes(6);
            assertEquals("ready\n", new String(ready, StandardCharsets.UTF_8));
            ContainerResult result = container.stop(Duration.ofSeconds(10));
            assertEquals(7, result.exitStatus());
            assertEquals("ready\nbye\n", result.stdout());
            assertEquals("ready\nbye\n", new String(container.stdout().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void stopKillsAWorkloadThatIgnoresTerm() {
        try (RunningContainer container = Bulwark.container("/bin/sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.1; done")
                .start()) {
            ContainerResult result = container.stop(Duration.ofMillis(300));
            assertEquals(137, result.exitStatus());
        }
    }

    @Test
    void closeKillsAndIsIdempotent() {
        RunningContainer container = Bulwark.container("/bin/sleep", "60").start();
        int pid = container.pid();
        container.close();
        container.close();
        assertFalse(container.isRunning());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(137, container.exitStatus());
    }

    @Test
    void aBadSettingNamesItsField() {
        ContainerException e = assertThrows(ContainerException.class, () -> Bulwark.container("/bin/true").user("nobody").run());
        assertEquals("configure", e.step());
        assertEquals("user", e.field());
        assertTrue(e.getMessage().startsWith("--user: expected UID[:GID]"), e.getMessage());
    }

    @Test
    void aMissingCommandFailsAtExecNamingProcessArgs() {
        ContainerException e = assertThrows(ContainerException.class, () -> Bulwark.container("/no/such/command").run());
        assertEquals("exec", e.step());
        assertEquals("process.args[0]", e.field());
        assertEquals(127, e.exitStatus());
    }

    @Test
    void explanationNarratesTheLaunch() {
        try (RunningContainer container = Bulwark.container("/bin/true").explain(true).start()) {
            assertTrue(container.waitFor(Duration.ofSeconds(30)));
            assertTrue(container.explanation().contains("user namespace"), container.explanation());
        }
    }

    @Test
    void hardeningKnobsReachTheContainer(@TempDir Path dir) throws Exception {
        Path profile = dir.resolve("seccomp.json");
        Files.writeString(profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], "
                + "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}");
        ContainerResult seccomp = Bulwark.container("/bin/sh", "-c", "mkdir /tmp/d && echo made || echo refused")
                .seccompProfile(profile).run();
        assertEquals("refused\n", seccomp.stdout(), seccomp.stderr());
        ContainerResult landlock = Bulwark.container("/bin/sh", "-c", "echo x > /tmp/f && echo wrote || echo denied")
                .landlock("/=rx").run();
        assertEquals("denied\n", landlock.stdout(), landlock.stderr());
        ContainerResult defaults = Bulwark.container("/bin/sh", "-c", "echo x > /tmp/f && echo wrote; grep CapEff /proc/self/status").run();
        assertEquals("wrote\nCapEff:\t0000000000000000\n", defaults.stdout(), defaults.stderr());
        ContainerResult capability = Bulwark.container("/bin/sh", "-c", "grep CapEff /proc/self/status").capAdd("NET_BIND_SERVICE").run();
        assertEquals("CapEff:\t0000000000000400\n", capability.stdout(), capability.stderr());
    }

    @Test
    void hostNetworkSharesTheHostsInterfaces() throws Exception {
        String hostInterfaces = Files.readString(Path.of("/proc/net/dev")).lines().skip(2).map(l -> l.split(":")[0].strip()).sorted().toList().toString();
        ContainerResult host = Bulwark.container("/bin/sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort")
                .network("host").run();
        assertEquals(hostInterfaces, host.stdout().lines().toList().toString());
        ContainerResult loopback = Bulwark.container("/bin/sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '").run();
        assertEquals("lo\n", loopback.stdout());
    }

    @Test
    void anExplicitLimitTheHostCannotApplyIsATypedErrorAndLeavesNothing() {
        int childrenBefore = (int) ProcessHandle.current().children().count();
        ContainerException e;
        try {
            ContainerResult limited = Bulwark.container("/bin/true").memory("64m").run();
            assertEquals(0, limited.exitStatus(), "a host that applies the limit runs the container");
            Assumptions.abort("this host applies memory limits: nothing to refuse");
            return;
        } catch (ContainerException refused) {
            e = refused;
        }
        assertTrue(e.getMessage().contains("not available"), e.getMessage());
        assertEquals("linux.resources.memory", e.field(), e.getMessage());
        assertEquals(childrenBefore, ProcessHandle.current().children().count());
    }

    @Test
    void pastaWorksAfterOtherLaunchesOfTheSameJvm() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/pasta")), "no /usr/bin/pasta (package passt)");
        assertEquals(0, Bulwark.container("/bin/true").run().exitStatus()); // its setuid may leave this JVM non-dumpable
        ContainerResult pasta = Bulwark.container("/bin/sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | grep -vx lo")
                .network("pasta").run();
        assertEquals(0, pasta.exitStatus(), "pasta gave the container an interface besides lo: " + pasta.stderr());
    }
}
