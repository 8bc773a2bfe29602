package dev.bulwark.nativ;

import dev.bulwark.nativ.constants.OpenFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class SyscallsTest {
    @Test
    void rawSyscallReturnsTheKernelsValue() {
        assertEquals(ProcessHandle.current().pid(), Syscalls.getpid());
    }

    @Test
    void failureNamesTheCallItsArgumentsAndTheErrno() {
        SyscallException e = assertThrows(SyscallException.class, () -> Syscalls.close(-7));
        assertEquals("EBADF", e.errnoName());
        assertEquals("close(-7): EBADF (Bad file descriptor)", e.getMessage());
    }

    @Test
    void pipeCarriesBytes() {
        int[] fds = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try {
            Syscalls.write(fds[1], "bulwark".getBytes(StandardCharsets.UTF_8));
            assertEquals("bulwark", new String(Syscalls.read(fds[0], 64), StandardCharsets.UTF_8));
        } finally {
            Syscalls.close(fds[0]);
            Syscalls.close(fds[1]);
        }
    }

    /** ST_VALID (32) is set on every statfs answer since Linux 2.6.36: a misread field reads 0. */
    @Test
    void statfsFlagsAreTheKernelsMountFlags() throws java.io.IOException {
        long flags = Syscalls.statfsFlags("/proc");
        assertEquals(32, flags & 32, "ST_VALID: " + flags);
        String options = null;
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/mounts"))) {
            String[] fields = line.split(" ");
            if (fields[1].equals("/proc")) {
                options = fields[3];
            }
        }
        assertNotNull(options);
        java.util.List<String> words = java.util.List.of(options.split(","));
        assertEquals(words.contains("nosuid"), (flags & 2) != 0, options);
        assertEquals(words.contains("relatime"), (flags & 4096) != 0, options);
    }

    @Test
    void errnoNames() {
        assertEquals("ENOENT", Errno.name(2));
        assertEquals("EPERM (Operation not permitted)", Errno.describe(1));
        assertEquals("errno 4000", Errno.name(4000));
    }
}
