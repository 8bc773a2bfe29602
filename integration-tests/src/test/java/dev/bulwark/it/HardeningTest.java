package dev.bulwark.it;

import dev.bulwark.config.model.Linux;
import dev.bulwark.config.model.LinuxCapabilities;
import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.model.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Hardening layers seen from inside real containers (issue 3): capabilities, NNP, seccomp, masks, limits, LSM, Landlock. */
class HardeningTest {
    private static int counter;

    private static String newId(Mode mode) {
        return "it-hard-" + mode.name().toLowerCase() + "-" + ProcessHandle.current().pid() + "-" + (++counter);
    }

    private static Cli.Result bundle(Mode mode, UnaryOperator<Spec> edit, String script) {
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(edit.apply(spec), "/bin/sh", "-c", script));
        try {
            return Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
        } finally {
            Bundles.delete(bundle);
        }
    }

    private static Cli.Result builtIn(Mode mode, String... command) {
        mode.assumeAvailable();
        return Cli.run(mode, Containers.runDefault(mode, newId(mode), command));
    }

    private static Map<String, String> status(String stdout) {
        Map<String, String> fields = new HashMap<>();
        for (String line : stdout.lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    static Spec process(Spec spec, UnaryOperator<Process> edit) {
        return spec.withProcess(edit.apply(spec.process()));
    }

    static Process with(Process p, LinuxCapabilities caps, User user, Boolean nnp, List<PosixRlimit> rlimits,
                        String apparmor, Integer oom) {
        return new Process(p.terminal(), p.consoleSize(), user != null ? user : p.user(), p.args(), null, p.env(), p.cwd(),
                caps != null ? caps : p.capabilities(), rlimits != null ? rlimits : p.rlimits(),
                nnp != null ? nnp : p.noNewPrivileges(), apparmor, oom, p.scheduler(), p.selinuxLabel(), p.ioPriority());
    }

    static Spec linux(Spec spec, Map<String, String> sysctl, List<String> masked) {
        Linux l = spec.linux();
        return spec.withLinux(l.withSysctl(sysctl != null ? sysctl : l.sysctl())
                .withPaths(masked != null ? masked : l.maskedPaths(), l.readonlyPaths()));
    }

    static Spec annotate(Spec spec, String key, String value) {
        Map<String, String> annotations = new LinkedHashMap<>(spec.annotations());
        annotations.put(key, value);
        return new Spec(spec.ociVersion(), spec.process(), spec.root(), spec.hostname(), spec.domainname(), spec.mounts(),
                spec.hooks(), annotations, spec.linux());
    }

    // --- capabilities, no_new_privs, seccomp ---

    @ParameterizedTest
    @EnumSource(Mode.class)
    void zeroFlagDefaultHoldsNoCapabilitiesWithNoNewPrivsAndSeccomp(Mode mode) {
        Cli.Result result = builtIn(mode, "/bin/sh", "-c", "cat /proc/self/status");
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> s = status(result.stdout());
        for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertEquals("0000000000000000", s.get(set), set + ": " + result.describe());
        }
        assertEquals("1", s.get("NoNewPrivs"));
        assertEquals("2", s.get("Seccomp"), "filter mode");
        assertEquals("1", s.get("Seccomp_filters"));
    }

    static Cli.Result capabilitiesAs(Mode mode, long uid) {
        List<String> caps = List.of("CAP_NET_BIND_SERVICE", "CAP_KILL");
        return bundle(mode, spec -> process(spec, p -> with(p, new LinuxCapabilities(caps, caps, caps, caps, caps),
                new User(uid, uid, null, null, null), null, null, null, null)), "grep -E '^Cap' /proc/self/status");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void configuredCapabilitiesAreExactlyTheFiveSetsForRoot(Mode mode) {
        Cli.Result result = capabilitiesAs(mode, 0);
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> s = status(result.stdout());
        // CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10
        for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertEquals("0000000000000420", s.get(set), set + ": " + result.describe());
        }
    }

    @Test
    void configuredCapabilitiesSurviveTheSwitchToUid1000() {
        Cli.Result result = capabilitiesAs(Mode.ROOT, 1000); // a one-id rootless map has no uid 1000
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> s = status(result.stdout());
        for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertEquals("0000000000000420", s.get(set), set + ": " + result.describe());
        }
    }

    @Test
    void unknownCapabilityIsAnErrorNamingIt() {
        List<String> bad = List.of("CAP_NET_BIND_SERVICE", "CAP_FLY");
        Cli.Result result = bundle(Mode.ROOT, spec -> process(spec, p -> with(p,
                new LinuxCapabilities(bad, List.of(), List.of(), List.of(), List.of()), null, null, null, null, null)), "true");
        assertEquals(125, result.exitCode(), result.describe());
        assertTrue(result.errors().contains("process.capabilities.bounding[1]") && result.errors().contains("CAP_FLY"),
                result.describe());
    }

    @Test
    void setuidRootBinaryRunByUid1000StaysUid1000() throws IOException {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> process(Containers.withArgs(spec, "/suid/busybox", "sh", "-c",
                "echo euid=$(busybox id -u) uid=$(busybox id -ru); grep -E 'CapEff|NoNewPrivs' /proc/self/status"),
                p -> with(p, null, new User(1000, 1000, null, null, null), null, null, null, null)));
        try {
            Files.createDirectories(bundle.resolve("rootfs/suid"));
            Path suid = bundle.resolve("rootfs/suid/busybox");
            Files.copy(Bundles.BUSYBOX, suid);
            // owned by the container's root (host uid 1000000000 in the default root mapping), mode 4755
            new ProcessBuilder("chown", "1000000000:1000000000", suid.toString()).inheritIO().start().waitFor();
            Files.setAttribute(suid, "unix:mode", 04755);
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(0, result.exitCode(), result.describe());
            assertTrue(result.stdout().contains("euid=1000 uid=1000"), "setuid bit gave nothing: " + result.describe());
            Map<String, String> s = status(result.stdout());
            assertEquals("0000000000000000", s.get("CapEff"));
            assertEquals("1", s.get("NoNewPrivs"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Bundles.delete(bundle);
        }
    }

    @Test
    void noNewPrivilegesFalseIsHonouredAndSeccompStillLoads() {
        Cli.Result result = bundle(Mode.ROOT, spec -> process(spec, p -> with(p, null, null, false, null, null, null)),
                "grep -E 'NoNewPrivs|Seccomp:' /proc/self/status");
        assertEquals(0, result.exitCode(), result.describe());
        Map<String, String> s = status(result.stdout());
        assertEquals("0", s.get("NoNewPrivs"), result.describe());
        assertEquals("2", s.get("Seccomp"), "loaded before capset while CAP_SYS_ADMIN was held: " + result.describe());
    }

    // --- real programs under the default profile ---

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aJvmRunsUnderTheDefaultProfile(Mode mode) {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/java")), "no /usr/bin/java on this host");
        Cli.Result result = builtIn(mode, "/usr/bin/java", "-Xshare:auto", "-version");
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.errors().contains("OpenJDK") || result.errors().contains("version"), result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void shellsRunUnderTheDefaultProfile(Mode mode) {
        for (String shell : List.of("/usr/bin/bash", "/usr/bin/dash")) {
            assumeTrue(Files.isExecutable(Path.of(shell)), shell + " missing");
            Cli.Result result = builtIn(mode, shell, "-c", "x=$(echo hi | tr a-z A-Z); echo $x; (exit 3); echo rc=$?");
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("HI\nrc=3\n", result.stdout(), shell + ": " + result.describe());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void serversServeOnLoopbackInsideTheContainer(Mode mode) {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3 on this host");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/busybox")), "no /usr/bin/busybox on this host");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/wget")), "no /usr/bin/wget on this host");
        Cli.Result result = builtIn(mode, "/bin/sh", "-c",
                "mkdir /tmp/www && echo bulwark-index > /tmp/www/index.html && cd /tmp/www; "
                        + "/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 & "
                        + "/usr/bin/busybox httpd -p 127.0.0.1:8081 -h /tmp/www; "
                        + "for i in $(seq 50); do wget -q -O- http://127.0.0.1:8080/index.html 2>/dev/null && break; sleep 0.1; done; "
                        + "wget -q -O- http://127.0.0.1:8081/index.html");
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("bulwark-index\nbulwark-index\n", result.stdout(), "python3 http.server and busybox httpd: " + result.describe());
    }

    // --- masked and read-only paths, sysctl, rlimits ---

    @ParameterizedTest
    @EnumSource(Mode.class)
    void defaultMaskedAndReadOnlyPaths(Mode mode) {
        Cli.Result result = builtIn(mode, "/bin/sh", "-c",
                "echo keys=$(wc -c < /proc/keys); echo acpi=$(ls -A /proc/acpi | wc -l); "
                        + "grep -E ' /proc/(sys|bus|fs|irq) ' /proc/mounts | cut -d' ' -f2,4 | cut -c1-20; "
                        + "echo 1 > /proc/sys/net/ipv4/ip_forward 2>/dev/null; echo write=$?");
        assertEquals(0, result.exitCode(), result.describe());
        List<String> lines = result.stdout().lines().toList();
        assertTrue(lines.contains("keys=0"), result.describe());
        assertTrue(lines.contains("acpi=0") || !Files.exists(Path.of("/proc/acpi")), result.describe());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("/proc/sys ro")), result.describe());
        assertTrue(lines.contains("write=2") || lines.contains("write=1"), result.describe());
    }

    @Test
    void ociMaskedPathIsHonouredAndASymlinkTargetIsRefused() throws IOException {
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        Cli.Result masked = bundle(mode, spec -> linux(spec, null, List.of("/etc/passwd", "/proc/keys")),
                "echo passwd=$(wc -c < /etc/passwd)");
        assertEquals(0, masked.exitCode(), masked.describe());
        assertEquals("passwd=0\n", masked.stdout());

        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(linux(spec, null, List.of("/etc/swapped")), "true"));
        try {
            Files.createSymbolicLink(bundle.resolve("rootfs/etc/swapped"), Path.of("/proc/sys/kernel/core_pattern"));
            Cli.Result result = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(125, result.exitCode(), result.describe());
            assertEquals("bulwark: check /etc/swapped: ELOOP (Too many levels of symbolic links)", result.errors().trim());
        } finally {
            Bundles.delete(bundle);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void namespacedSysctlIsAppliedAndAGlobalOneRejectedByName(Mode mode) {
        Cli.Result ok = bundle(mode, spec -> linux(spec, Map.of("net.ipv4.ip_forward", "1", "kernel.shmmni", "1234"), null),
                "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni");
        assertEquals(0, ok.exitCode(), ok.describe());
        assertEquals("1\n1234\n", ok.stdout());
        Cli.Result bad = bundle(mode, spec -> linux(spec, Map.of("kernel.core_pattern", "|/evil"), null), "true");
        assertEquals(125, bad.exitCode(), bad.describe());
        assertTrue(bad.errors().contains("linux.sysctl[\"kernel.core_pattern\"]"), bad.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void rlimitsAreApplied(Mode mode) {
        Cli.Result result = bundle(mode, spec -> process(spec, p -> with(p, null, null, null,
                List.of(new PosixRlimit("RLIMIT_NOFILE", 200, 100), new PosixRlimit("RLIMIT_CORE", 0, 0)), null, null)),
                "grep -E 'Max open files|Max core' /proc/self/limits | tr -s ' '");
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().contains("Max open files 100 200 files"), result.describe());
        assertTrue(result.stdout().contains("Max core file size 0 0 bytes"), result.describe());
    }

    @Test
    void oomScoreAdjRaisedIsAppliedAndLoweringFailsClearly() {
        Cli.Result raised = bundle(Mode.ROOT, spec -> process(spec, p -> with(p, null, null, null, null, null, 500)),
                "cat /proc/self/oom_score_adj");
        assertEquals(0, raised.exitCode(), raised.describe());
        assertEquals("500\n", raised.stdout());
        Cli.Result lowered = bundle(Mode.ROOT, spec -> process(spec, p -> with(p, null, null, null, null, null, -500)), "true");
        assumeTrue(lowered.exitCode() != 0, "this host lets the launcher lower oom_score_adj (it holds CAP_SYS_RESOURCE)");
        assertEquals(125, lowered.exitCode(), lowered.describe());
        assertTrue(lowered.errors().startsWith("bulwark: process.oomScoreAdj: -500 is below the launcher's own value"),
                lowered.describe());
    }

    // --- LSMs, Landlock, the launcher itself ---

    @Test
    void anAppArmorProfileThisHostCannotApplyIsAClearErrorUnlessDowngraded() throws IOException {
        assumeTrue(!"Y".equals(readOrEmpty("/sys/module/apparmor/parameters/enabled")), "AppArmor is active on this host");
        Mode mode = Mode.ROOT;
        mode.assumeAvailable();
        Path bundle = Bundles.create(mode, spec -> Containers.withArgs(process(spec,
                p -> with(p, null, null, null, null, "bulwark-default", null)), "/bin/true"));
        try {
            Cli.Result refused = Cli.run(mode, Containers.runBundle(mode, bundle, newId(mode)));
            assertEquals(125, refused.exitCode(), refused.describe());
            assertTrue(refused.errors().startsWith("bulwark: process.apparmorProfile: \"bulwark-default\" requested, but AppArmor is not active on this host"),
                    refused.describe());
            List<String> args = new ArrayList<>(Containers.runBundle(mode, bundle, newId(mode)));
            args.add(1, "--allow-missing-lsm");
            Cli.Result downgraded = Cli.run(mode, args);
            assertEquals(0, downgraded.exitCode(), downgraded.describe());
            assertTrue(downgraded.stderr().lines().anyMatch(l -> l.startsWith("bulwark: warning: process.apparmorProfile")), downgraded.describe());
        } finally {
            Bundles.delete(bundle);
        }
    }

    private static String readOrEmpty(String path) throws IOException {
        Path p = Path.of(path);
        return Files.exists(p) ? Files.readString(p).trim() : "";
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void defaultLandlockRulesAllowTmpAndDenyDeviceNodes(Mode mode) {
        Cli.Result result = builtIn(mode, "/bin/sh", "-c",
                "echo ok > /tmp/f && cat /tmp/f; mkfifo /tmp/fifo && echo fifo=yes; "
                        + "mknod /tmp/c c 1 3 2>&1 | grep -o 'Permission denied'");
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("ok\nfifo=yes\nPermission denied\n", result.stdout(), result.describe());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void landlockAnnotationRestrictsToTheListedRights(Mode mode) {
        Cli.Result result = bundle(mode, spec -> annotate(spec, "dev.bulwark.landlock", "/=rx;/tmp=r;/dev/null=rw"),
                "cat /etc/passwd >/dev/null && echo read=ok; echo x > /tmp/denied 2>/dev/null; echo write=$?; "
                        + "echo y > /dev/null && echo devnull=ok");
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("read=ok\nwrite=1\ndevnull=ok\n", result.stdout(), result.describe());
        Cli.Result off = bundle(mode, spec -> annotate(spec, "dev.bulwark.landlock", "off"),
                "echo x > /dev/shm/allowed && echo write=ok");
        assertEquals("write=ok\n", off.stdout(), off.describe());
        Cli.Result bad = bundle(mode, spec -> annotate(spec, "dev.bulwark.landlock", "/tmp=rq"), "true");
        assertEquals(125, bad.exitCode(), bad.describe());
        assertTrue(bad.errors().contains("annotations[\"dev.bulwark.landlock\"]: rule \"/tmp=rq\": unknown right 'q'"),
                bad.describe());
    }
}
