package dev.bulwark.launcher.setup;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes the compiled tables of {@link PlanFixtures} (with and without --explain's progress pipe, for
 * run and create) as text into {@code -Ddump.dir=DIR}, to diff a restructuring's tables before and
 * after: {@code mvn -o -pl launcher -am test -Dtest=TableDumpCapture -Ddump.dir=/tmp/before
 * -Dsurefire.failIfNoSpecifiedTests=false}. Paths are fixed (/tmp/plan-scratch) so dumps compare.
 */
class TableDumpCapture {
    @Test
    void capture() throws Exception {
        String dir = System.getProperty("dump.dir");
        Assumptions.assumeTrue(dir != null, "a tool, not a check: runs only with -Ddump.dir=DIR");
        Path out = Files.createDirectories(Path.of(dir));
        int n = 0;
        for (PlanFixtures.Launch launch : PlanFixtures.all(Path.of("/tmp/plan-scratch"))) {
            for (ChildProgram.Pipes pipes : List.of(PlanFixtures.PIPES, PlanFixtures.PIPES_WITH_PROGRESS)) {
                for (ChildProgram.Detached detached : Arrays.asList(null, new ChildProgram.Detached(9, 10, 2))) {
                    ChildSteps steps = launch.compile(pipes, detached);
                    try (var table = steps.table()) {
                        Files.write(out.resolve(n++ + ".txt"), TableDump.of(table));
                    }
                }
            }
        }
    }
}
