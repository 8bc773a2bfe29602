package dev.bulwark.launcher.cgroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** update's writes are all or nothing: a write the kernel refuses puts back those done before it. */
class ContainerCgroupUpdateTest {
    @TempDir
    Path dir;

    @Test
    void aRefusedWritePutsBackTheFilesWrittenBeforeIt() throws Exception {
        Files.writeString(dir.resolve("pids.max"), "max\n");
        Files.writeString(dir.resolve("cpu.max"), "max 100000\n");
        Files.createDirectory(dir.resolve("memory.max")); // exists, but every write to it fails, as EBUSY would
        // (regular files are not truncated by a write, as cgroup files: equal lengths keep the contents comparable)
        ResourceTranslator.Translation translation = new ResourceTranslator.Translation(List.of(
                write("pids.max", "10", "linux.resources.pids.limit"),
                write("cpu.max", "1000 10000", "linux.resources.cpu.quota"),
                write("memory.max", "1", "linux.resources.memory.limit")), List.of());

        CgroupException refused = assertThrows(CgroupException.class, () -> new ContainerCgroup(dir).update(translation));

        assertTrue(refused.getMessage().startsWith("linux.resources.memory.limit: writing \"1\" to " + dir.resolve("memory.max")),
                refused.getMessage());
        assertTrue(refused.getMessage().endsWith("; the 2 file(s) written before it were put back"), refused.getMessage());
        assertEquals("max", Files.readString(dir.resolve("pids.max")).strip());
        assertEquals("max 100000", Files.readString(dir.resolve("cpu.max")).strip());
    }

    @Test
    void aFirstWriteRefusedChangesNothing() throws Exception {
        Files.createDirectory(dir.resolve("memory.max"));
        Files.writeString(dir.resolve("pids.max"), "max\n");
        ResourceTranslator.Translation translation = new ResourceTranslator.Translation(List.of(
                write("memory.max", "1", "linux.resources.memory.limit"),
                write("pids.max", "10", "linux.resources.pids.limit")), List.of());

        CgroupException refused = assertThrows(CgroupException.class, () -> new ContainerCgroup(dir).update(translation));

        assertTrue(refused.getMessage().endsWith("; nothing was changed"), refused.getMessage());
        assertEquals("max", Files.readString(dir.resolve("pids.max")).strip());
    }

    private static CgroupWrite write(String file, String value, String field) {
        return new CgroupWrite(file, value, Optional.empty(), field, Optional.empty());
    }
}
