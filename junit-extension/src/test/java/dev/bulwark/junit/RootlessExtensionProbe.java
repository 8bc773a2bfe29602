package dev.bulwark.junit;

import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

import java.util.List;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Run by {@link RootlessExtensionTest} as the unprivileged user bulwark-test (a JVM of its own): the extension's
 * own tests through the JUnit engine, one line "ok CLASS" each when every test of it succeeded, or the failures
 * and exit status 1. ReadmeExampleTest needs pasta: given the argument "pasta" only.
 */
public final class RootlessExtensionProbe {
    public static void main(String[] args) {
        List<Class<?>> classes = args.length > 0 && args[0].equals("pasta")
                ? List.of(FailureReportTest.class, ParallelExecutionTest.class, ReadmeExampleTest.class)
                : List.of(FailureReportTest.class, ParallelExecutionTest.class);
        boolean failed = false;
        for (Class<?> test : classes) {
            EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(test)).execute();
            long succeeded = results.testEvents().succeeded().count();
            long bad = results.testEvents().failed().count() + results.testEvents().aborted().count()
                    + results.testEvents().skipped().count() + results.containerEvents().failed().count();
            if (bad == 0 && succeeded > 0) {
                System.out.println("ok " + test.getSimpleName());
                continue;
            }
            failed = true;
            System.out.println("FAILED " + test.getSimpleName() + ": " + succeeded + " succeeded, " + bad + " not");
            results.allEvents().list().forEach(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                    .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
                    .ifPresent(t -> t.printStackTrace(System.out)));
            results.testEvents().skipped().list().forEach(e -> System.out.println("skipped: " + e));
        }
        System.exit(failed ? 1 : 0);
    }
}
