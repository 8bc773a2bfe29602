package dev.bulwark.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API used by an unprivileged JVM: {@link RootlessProbe} run by {@link RootlessJvm} as the user bulwark-test. */
class RootlessApiTest {
    @Test
    void theApiWorksRootlessIncludingPastaAndThreads() throws Exception {
        boolean pasta = RootlessJvm.hasPasta();
        String out = RootlessJvm.run(RootlessProbe.class, pasta ? List.of("pasta") : List.of());
        for (String check : pasta ? List.of("run", "stop", "threads", "exec", "stdin", "output-limit", "stress", "pasta", "nothing-left")
                : List.of("run", "stop", "threads", "exec", "stdin", "output-limit", "stress", "nothing-left")) {
            assertTrue(out.contains("ok " + check + "\n"), check + " missing in:\n" + out);
        }
    }
}
