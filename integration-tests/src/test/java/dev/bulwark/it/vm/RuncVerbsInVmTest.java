package dev.bulwark.it.vm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * runc's update, pause/resume and events on a pure cgroup v2 kernel (this host's hybrid cgroups have no controllers in
 * v2): inside the VM, as root and as a user with a delegated cgroup, {@code integration-tests/vm/verbs-check.sh}
 * updates pids.max, memory.max and cpu.max of a running container (flags and {@code --resources -}), sees the kernel
 * enforce them (a fork beyond pids.max fails, a process beyond memory.max is OOM-killed and {@code events} prints an
 * oom event), {@code events --stats} report the new limits, and pause/resume freeze and thaw the cgroup.
 */
class RuncVerbsInVmTest {
    private static final int UML_TIMEOUT_SECONDS = 400;
    private static final int QEMU_TIMEOUT_SECONDS = 720;

    @ParameterizedTest
    @ValueSource(strings = {"root", "rootless"})
    void updateIsEnforcedAndPauseAndEventsWork(String mode) throws Exception {
        assumeTrue(System.getenv("BULWARK_SKIP_VM_TESTS") == null, "BULWARK_SKIP_VM_TESTS is set");
        assumeTrue("root".equals(System.getProperty("user.name")), "the VM harness is run as root");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path harness = repo.resolve("integration-tests/vm/bulwark-vm");
        assumeTrue(Files.isExecutable(harness), "integration-tests/vm/bulwark-vm is missing");
        assumeTrue(Files.isExecutable(repo.resolve("bin/bulwark")) && Files.isDirectory(repo.resolve("launcher/target/lib")),
                "the launcher is not built (run mvn verify from the root)");
        List<String> command = new ArrayList<>(List.of(harness.toString(), "run"));
        if (mode.equals("rootless")) {
            command.addAll(List.of("--user", "65534:65534"));
        }
        int timeout = VmBackend.of(harness).timeoutSeconds(UML_TIMEOUT_SECONDS, QEMU_TIMEOUT_SECONDS);
        command.addAll(List.of("--timeout", Integer.toString(timeout), "--",
                repo.resolve("integration-tests/vm/verbs-check.sh").toString()));
        Process vm = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String output = new String(vm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(vm.waitFor(timeout + 60, TimeUnit.SECONDS), "the VM finished");
        output.lines().filter(line -> line.startsWith("bulwark-vm: ")).forEach(System.out::println);
        assertEquals(0, vm.exitValue(), "bulwark-vm run (" + mode + "):\n" + output);
        assertTrue(output.lines().anyMatch(line -> line.equals("verbs: ok")), output);
    }
}
