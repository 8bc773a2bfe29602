package dev.bulwark.it.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The VM that {@code integration-tests/vm/bulwark-vm} boots on this machine, as its {@code backend}
 * command reports it ({@code uml} or {@code qemu}, chosen from {@code BULWARK_VM} and the CPU):
 * QEMU with TCG runs the JVM several times slower than User-Mode Linux, so timeouts depend on it.
 */
record VmBackend(String name, String reason) {
    static VmBackend of(Path harness) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(harness.toString(), "backend").redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bulwark-vm backend finished");
        assertEquals(0, p.exitValue(), "bulwark-vm backend: " + output);
        int space = output.indexOf(' ');
        return space < 0 ? new VmBackend(output, "") : new VmBackend(output.substring(0, space), output.substring(space + 1));
    }

    /** A bound on one VM run: {@code umlSeconds} under User-Mode Linux, {@code qemuSeconds} under QEMU. */
    int timeoutSeconds(int umlSeconds, int qemuSeconds) {
        return name.equals("qemu") ? qemuSeconds : umlSeconds;
    }
}
