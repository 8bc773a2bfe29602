package dev.bulwark.junit;

import dev.bulwark.api.RootlessJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The extension used by an unprivileged JVM: its own tests, run by {@link RootlessExtensionProbe} in a JVM of its
 * own as the user bulwark-test ({@link RootlessJvm}, shared with the API's rootless test).
 */
class RootlessExtensionTest {
    @Test
    void theExtensionsTestsPassRootless() throws Exception {
        boolean pasta = RootlessJvm.hasPasta();
        String out = RootlessJvm.run(RootlessExtensionProbe.class, pasta ? List.of("pasta") : List.of());
        for (String check : pasta ? List.of("FailureReportTest", "ParallelExecutionTest", "ReadmeExampleTest")
                : List.of("FailureReportTest", "ParallelExecutionTest")) {
            assertTrue(out.contains("ok " + check + "\n"), check + " missing in:\n" + out);
        }
    }
}
