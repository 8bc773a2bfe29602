package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.cgroup.CgroupException;
import dev.bulwark.launcher.cgroup.ContainerCgroup;
import dev.bulwark.launcher.cgroup.RuncStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** events ends, as runc's does, when a delete removes the cgroup while it reads it. */
class EventsCommandTest {
    @Test
    void aCgroupRemovedMidReadIsTakenAsStopped(@TempDir Path root) throws Exception {
        Path dir = Files.createDirectory(root.resolve("c"));
        Files.writeString(dir.resolve("cgroup.procs"), "");
        ContainerCgroup cgroup = ContainerCgroup.find(dir).orElseThrow();
        Files.delete(dir.resolve("cgroup.procs"));
        Files.delete(dir); // as delete's rmdir between events' check and its reads
        CgroupException e = assertThrows(CgroupException.class, () -> RuncStats.of(cgroup));
        assertTrue(EventsCommand.vanished(e), e.getMessage());
    }

    @Test
    void otherFailuresAreNotTakenAsStopped() {
        assertFalse(EventsCommand.vanished(new CgroupException("cannot read x", new AccessDeniedException("x"))));
        assertFalse(EventsCommand.vanished(new CgroupException("cannot parse x")));
    }
}
