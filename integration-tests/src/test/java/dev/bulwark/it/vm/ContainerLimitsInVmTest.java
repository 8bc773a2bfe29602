package dev.bulwark.it.vm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * cgroup v2 limits on real containers, end to end: the Bulwark CLI runs inside a VM (User-Mode Linux, or
 * QEMU with TCG where UML cannot boot) with a pure cgroup v2 hierarchy (this host's cgroups are hybrid),
 * once as root and once as an
 * unprivileged user with a delegated subtree; {@code integration-tests/vm/limits-check.sh} reports.
 */
class ContainerLimitsInVmTest {
    private static final String NOBODY = "65534:65534";
    /** Bounds on one VM run; measured: UML ~60 s, QEMU TCG ~180 s on a busy 2-core machine. */
    private static final int UML_TIMEOUT_SECONDS = 400;
    private static final int QEMU_TIMEOUT_SECONDS = 720;

    @ParameterizedTest
    @ValueSource(strings = {"root", "rootless"})
    void limitsAreEnforcedReportedAndCleanedUp(String mode) throws Exception {
        Map<String, String> checks = runInVm(mode.equals("root") ? List.of() : List.of("--user", NOBODY));
        assertEquals("137", checks.get("oom-exit"), "OOM-killed workload exits 128+9: " + checks);
        assertEquals("container OOM-killed at 32 MiB", checks.get("oom-message"), checks.toString());

        assertEquals("0", checks.get("pids-exit"), checks.toString());
        assertEquals("16", checks.get("pids-max"), checks.toString());
        assertTrue(checks.get("pids-events").matches("max [1-9]\\d*"), "the fork loop hit pids.max: " + checks);
        assertEquals("0::/", checks.get("pids-cgroup-ns"), "the cgroup namespace was entered after joining: " + checks);

        assertEquals("0", checks.get("cpu-exit"), checks.toString());
        assertTrue(Long.parseLong(checks.get("cpu-throttled")) > 0, "cpu.max throttled: " + checks);

        assertEquals("0", checks.get("stats-exit"), checks.toString());
        assertEquals("1", checks.get("stats-memory"), checks.toString());
        assertEquals("1", checks.get("stats-pids"), checks.toString());
        assertEquals("0", checks.get("stats-run-exit"), checks.toString());

        assertEquals("", checks.get("cgroups-left"), "every container cgroup removed: " + checks);
        assertEquals("", checks.get("state-left").trim(), "every state directory removed: " + checks);

        assertEquals("125", checks.get("bad-exit"), checks.toString());
        assertTrue(checks.get("bad-message").startsWith("bulwark: linux.resources.pids.limit: "), checks.toString());
    }

    private static Map<String, String> runInVm(List<String> vmOptions) throws IOException, InterruptedException {
        assumeTrue(System.getenv("BULWARK_SKIP_VM_TESTS") == null, "BULWARK_SKIP_VM_TESTS is set");
        assumeTrue("root".equals(System.getProperty("user.name")), "the VM harness is run as root");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path harness = repo.resolve("integration-tests/vm/bulwark-vm");
        assumeTrue(Files.isExecutable(harness), "integration-tests/vm/bulwark-vm is missing");
        assumeTrue(Files.isDirectory(repo.resolve("launcher/target/lib")), "the launcher is not built (run mvn verify from the root)");
        List<String> command = new ArrayList<>(List.of(harness.toString(), "run"));
        command.addAll(vmOptions);
        int timeout = VmBackend.of(harness).timeoutSeconds(UML_TIMEOUT_SECONDS, QEMU_TIMEOUT_SECONDS);
        command.addAll(List.of("--timeout", Integer.toString(timeout), "--", repo.resolve("integration-tests/vm/limits-check.sh").toString()));
        Process vm = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String output = new String(vm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(vm.waitFor(timeout + 60, TimeUnit.SECONDS), "the VM finished");
        assertEquals(0, vm.exitValue(), "bulwark-vm run " + vmOptions + ":\n" + output);
        Map<String, String> checks = new LinkedHashMap<>();
        for (String line : output.lines().toList()) {
            if (line.startsWith("CHECK ")) {
                String[] kv = line.substring(6).split("=", 2);
                checks.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        // The harness's own lines say which VM ran (uml or qemu-tcg) and for how long.
        output.lines().filter(line -> line.startsWith("bulwark-vm: ")).forEach(System.out::println);
        System.out.println("ContainerLimitsInVmTest " + vmOptions + ": " + checks);
        assertFalse(checks.isEmpty(), "no CHECK lines from the VM:\n" + output);
        return checks;
    }
}
