package dev.bulwark.launcher.cgroup;

import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The walk of {@link CgroupSubtree} on a plain directory tree (no cgroup needed: the walk only opens,
 * lists, reads cgroup.procs and removes directories): names that are not UTF-8 and nesting of any depth
 * must neither hide a child nor block the removal.
 */
class CgroupSubtreeWalkTest {
    private static final int DIR_FLAGS = OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC;
    private static final byte[] NOT_UTF8 = {(byte) 0xff, 'x'};

    @Test
    void aChildNamedWithAByteThatIsNotUtf8IsListedAndRemoved(@TempDir Path temp) throws Exception {
        Path root = temp.resolve("cg");
        Files.createDirectory(root);
        int rootFd = DirectoryCalls.openat(OpenFlags.AT_FDCWD, root.toString(), DIR_FLAGS, 0);
        try {
            DirectoryCalls.mkdirat(rootFd, NOT_UTF8, 0755);
            int child = DirectoryCalls.openat(rootFd, NOT_UTF8, DIR_FLAGS, 0);
            try {
                int procs = DirectoryCalls.openat(child, "cgroup.procs",
                        OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_CLOEXEC, 0644);
                Syscalls.write(procs, "4242\n".getBytes());
                Syscalls.close(procs);
                assertTrue(DirectoryCalls.rawEntries(rootFd).stream()
                        .anyMatch(e -> java.util.Arrays.equals(e.name(), NOT_UTF8)), "readdir returns the raw bytes");
            } finally {
                Syscalls.close(child);
            }
        } finally {
            Syscalls.close(rootFd);
        }

        assertEquals(Set.of(4242L), CgroupSubtree.pids(root), "the process in the 0xff-named child is seen");

        // cgroupfs has no regular files to unlink: empty the child the way the kernel would, then remove
        int again = DirectoryCalls.openat(OpenFlags.AT_FDCWD, root.toString(), DIR_FLAGS, 0);
        int child = DirectoryCalls.openat(again, NOT_UTF8, DIR_FLAGS, 0);
        DirectoryCalls.unlinkat(child, "cgroup.procs", 0);
        Syscalls.close(child);
        Syscalls.close(again);
        CgroupSubtree.remove(root);
        assertFalse(Files.exists(root), "the tree with the 0xff-named child is removed");
    }

    @Test
    void aTreeNestedDeeperThanAnyDescriptorLimitIsWalkedAndRemoved(@TempDir Path temp) throws Exception {
        int depth = 3000; // above the usual 1024 open files: a walk holding one descriptor per level would fail
        Path root = temp.resolve("deep");
        Files.createDirectory(root);
        int fd = DirectoryCalls.openat(OpenFlags.AT_FDCWD, root.toString(), DIR_FLAGS, 0);
        for (int level = 0; level < depth; level++) {
            DirectoryCalls.mkdirat(fd, "d", 0755);
            if (level == depth / 2) {
                DirectoryCalls.mkdirat(fd, NOT_UTF8, 0755); // a side branch halfway down
            }
            int next = DirectoryCalls.openat(fd, "d", DIR_FLAGS, 0);
            Syscalls.close(fd);
            fd = next;
        }
        int procs = DirectoryCalls.openat(fd, "cgroup.procs", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_CLOEXEC, 0644);
        Syscalls.write(procs, "7\n".getBytes());
        Syscalls.close(procs);

        assertEquals(Set.of(7L), CgroupSubtree.pids(root), "the process at the bottom is seen");

        DirectoryCalls.unlinkat(fd, "cgroup.procs", 0);
        Syscalls.close(fd);
        CgroupSubtree.remove(root);
        assertFalse(Files.exists(root), "the whole chain is removed");
    }
}
