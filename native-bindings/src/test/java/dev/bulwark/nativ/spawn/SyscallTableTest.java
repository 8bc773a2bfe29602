package dev.bulwark.nativ.spawn;

import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallNumbers;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.CloneFlags;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.constants.Signals;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Runs real children through the machine-code routine (plain fork semantics: no namespaces). */
class SyscallTableTest {
    private static final SyscallNumbers NR = SyscallNumbers.host();

    @Test
    void childRunsTheTableAndExits() {
        int[] out = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            long text = table.memory().cString("hi");
            table.add("say hi", NR.require("write"), out[1], text, 2).mustEqual(2);
            table.add("exit", NR.require("exit_group"), 7);
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
            Syscalls.close(out[1]);
            Syscalls.close(failure[1]);
            assertEquals("hi", new String(Syscalls.read(out[0], 16), StandardCharsets.UTF_8));
            assertEquals(0, Syscalls.read(failure[0], 16).length, "no failure record");
            Syscalls.WaitStatus status = Syscalls.wait4(child.pid(), 0);
            assertTrue(status.exited());
            assertEquals(7, status.exitCode());
        } finally {
            Syscalls.close(out[0]);
            Syscalls.close(failure[0]);
        }
    }

    /** A fork step: the forked process runs the rest and becomes the caller's child; the forking one is reaped. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {0, CloneFlags.CLONE_VM | CloneFlags.CLONE_VFORK})
    void forkStepHandsTheForkedProcessOver(long spawnFlags) {
        int[] out = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            table.add("harmless", NR.require("getpid"));
            table.addFork("fork", CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
            long text = table.memory().cString("hi");
            table.add("say hi", NR.require("write"), out[1], text, 2).mustEqual(2);
            table.add("exit", NR.require("exit_group"), 7);
            assertTrue(table.forks());
            int[] cloned = {0};
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD | spawnFlags, failure[1],
                    (pid, pidfd) -> cloned[0] = pid);
            Syscalls.close(out[1]);
            Syscalls.close(failure[1]);
            assertNotEquals(cloned[0], child.pid(), "the forked process, not the cloned one");
            assertEquals("hi", new String(Syscalls.read(out[0], 16), StandardCharsets.UTF_8));
            assertEquals(0, Syscalls.read(failure[0], 16).length, "no failure record");
            Syscalls.WaitStatus status = Syscalls.wait4(child.pid(), 0); // CLONE_PARENT: our child
            assertEquals(7, status.exitCode());
            dev.bulwark.nativ.SyscallException reaped = assertThrows(dev.bulwark.nativ.SyscallException.class,
                    () -> Syscalls.wait4(cloned[0], 0));
            assertEquals("ECHILD", reaped.errnoName(), "the forking process was reaped by cloneAndRun");
            dev.bulwark.nativ.SyscallException gone = assertThrows(dev.bulwark.nativ.SyscallException.class,
                    () -> Syscalls.pidfdSendSignal(child.pidfd(), 0));
            assertEquals("ESRCH", gone.errnoName(), "the pidfd names the forked process, now reaped");
            Syscalls.close(child.pidfd());
        } finally {
            Syscalls.close(out[0]);
            Syscalls.close(failure[0]);
        }
    }

    @Test
    void theWorkLearnsTheForkedProcessAtAStopAfterTheFork() {
        int[] stop = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            table.addFork("fork", CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
            long text = table.memory().cString("s");
            table.add("stop", NR.require("write"), stop[1], text, 1).mustEqual(1);
            table.add("exit", NR.require("exit_group"), 3);
            int[] seen = {0, 0};
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> {
                assertEquals(1, Syscalls.read(stop[0], 1).length, "the forked process reached its stop");
                seen[0] = pid;
                seen[1] = table.forkedPid();
            });
            Syscalls.close(failure[1]);
            assertNotEquals(seen[0], seen[1], "the forked process, not the cloned one");
            assertEquals(seen[1], child.pid(), "cloneAndRun returns the same process");
            assertEquals(3, Syscalls.wait4(child.pid(), 0).exitCode());
            Syscalls.close(child.pidfd());
        } finally {
            Syscalls.close(stop[0]);
            Syscalls.close(stop[1]);
            Syscalls.close(failure[0]);
        }
    }

    @Test
    void failureBeforeAForkStepReturnsTheClonedProcess() {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            table.add("close a bad fd", NR.require("close"), 100_000);
            table.addFork("fork", CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
            table.add("exit", NR.require("exit_group"), 0);
            int[] cloned = {0};
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1],
                    (pid, pidfd) -> cloned[0] = pid);
            Syscalls.close(failure[1]);
            assertEquals(cloned[0], child.pid());
            assertEquals(0, table.decodeFailure(Syscalls.read(failure[0], 16)).index());
            assertEquals(127, Syscalls.wait4(child.pid(), 0).exitCode());
        } finally {
            Syscalls.close(failure[0]);
        }
    }

    /** Without its hand-over a forked process would run on unsupervised: the forking one kills it, then reports. */
    @Test
    void aForkedProcessThatCannotBeHandedOverIsKilled() {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] held = Syscalls.pipe2(OpenFlags.O_CLOEXEC);  // the forked process's copy of held[1] says whether it lives
        int[] never = Syscalls.pipe2(OpenFlags.O_CLOEXEC); // nothing is ever written: a read of it waits until never[1] closes
        try (SyscallTable table = new SyscallTable()) {
            table.add("harmless", NR.require("getpid"));
            table.addFork("fork", CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
            table.add("close its copy of never[1]", NR.require("close"), never[1]);
            table.add("wait until the test ends", NR.require("read"), never[0], table.memory().allocate(8), 1).mustEqual(1);
            // The child inherits a read-only fd where the hand-over's write end was: its write fails with EBADF.
            long replaced = dev.bulwark.nativ.Kernel.raw(NR.require("dup3"), never[0], table.handoverWriteEnd(), OpenFlags.O_CLOEXEC, 0, 0);
            assertEquals(table.handoverWriteEnd(), replaced, "dup3 result");
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
                SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
                Syscalls.close(failure[1]);
                Syscalls.close(held[1]);
                SyscallTable.ChildFailure reported = table.decodeFailure(Syscalls.read(failure[0], 16));
                assertEquals(1, reported.index());
                assertEquals("fork: EBADF (Bad file descriptor)", reported.message(), "the fork step, with write's result");
                assertEquals(127, Syscalls.wait4(child.pid(), 0).exitCode(), "the cloned process is returned as it is");
                assertEquals(0, Syscalls.read(held[0], 1).length, "the forked process ended: it no longer holds held[1]");
                Syscalls.WaitStatus forked = Syscalls.wait4(-1, 0); // CLONE_PARENT: our only other child
                assertEquals(Signals.SIGKILL, forked.termSignal(), "the forked process was killed before it could go on");
                Syscalls.close(child.pidfd());
            });
        } finally {
            Syscalls.close(failure[0]);
            Syscalls.close(held[0]);
            Syscalls.close(never[0]);
            Syscalls.close(never[1]); // the last write end: a forked process that was not killed (the bug) then ends
        }
    }

    /** Only the cloned process holds the hand-over's write end, so the work's read ends when it does. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {0, CloneFlags.CLONE_VM | CloneFlags.CLONE_VFORK})
    void forkedPidEndsWhenTheClonedProcessFailsBeforeTheFork(long spawnFlags) {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            table.add("close a bad fd", NR.require("close"), 100_000);
            table.addFork("fork", CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
            table.add("exit", NR.require("exit_group"), 0);
            SyscallTable.Spawned child = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                    () -> table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD | spawnFlags, failure[1],
                            (pid, pidfd) -> table.forkedPid()));
            Syscalls.close(failure[1]);
            IllegalStateException thrown = assertInstanceOf(IllegalStateException.class, child.parentWorkFailure());
            assertEquals("fork step: the cloned process ended without handing a forked process over", thrown.getMessage());
            assertEquals(0, table.decodeFailure(Syscalls.read(failure[0], 16)).index(), "the step before the fork failed");
            Syscalls.wait4(child.pid(), 0);
            Syscalls.close(child.pidfd());
        } finally {
            Syscalls.close(failure[0]);
        }
    }

    @Test
    void failureAfterAForkStepIsTheForkedProcesses() {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            table.addFork("fork", CloneFlags.CLONE_PARENT | Signals.SIGCHLD);
            table.add("close a bad fd", NR.require("close"), 100_000);
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
            Syscalls.close(failure[1]);
            SyscallTable.ChildFailure reported = table.decodeFailure(Syscalls.read(failure[0], 16));
            assertEquals("close a bad fd: EBADF (Bad file descriptor)", reported.message());
            assertEquals(127, Syscalls.wait4(child.pid(), 0).exitCode());
        } finally {
            Syscalls.close(failure[0]);
        }
    }

    @Test
    void failingEntryIsReportedByIndexAndErrno() {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            table.add("harmless", NR.require("getpid"));
            table.add("close a bad fd", NR.require("close"), 100_000);
            table.add("never reached", NR.require("exit_group"), 0);
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
            Syscalls.close(failure[1]);
            SyscallTable.ChildFailure reported = table.decodeFailure(Syscalls.read(failure[0], 16));
            assertEquals(1, reported.index());
            assertEquals("close a bad fd: EBADF (Bad file descriptor)", reported.message());
            assertEquals(StepKind.SETUP, reported.kind());
            assertEquals(127, Syscalls.wait4(child.pid(), 0).exitCode());
        } finally {
            Syscalls.close(failure[0]);
        }
    }

    @Test
    void aFailedExecIsReportedAsOneByItsKindNotItsName() {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            long argv = table.memory().cStringArray(List.of("missing"));
            long envp = table.memory().cStringArray(List.of());
            table.add("run the workload", NR.require("execve"), table.memory().cString("/nonexistent/missing"), argv, envp)
                    .kind(StepKind.EXEC);
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
            Syscalls.close(failure[1]);
            SyscallTable.ChildFailure reported = table.decodeFailure(Syscalls.read(failure[0], 16));
            assertEquals(StepKind.EXEC, reported.kind());
            assertEquals(2, reported.errno()); // ENOENT
            assertEquals(127, Syscalls.wait4(child.pid(), 0).exitCode());
        } finally {
            Syscalls.close(failure[0]);
        }
    }

    @Test
    void toleratedErrnoAndResultReferences() {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] out = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            NativeMemory memory = table.memory();
            table.add("close a bad fd, tolerated", NR.require("close"), 100_000).tolerate(9);
            // dup(out[1]) returns a new fd; the write uses it through a result reference.
            SyscallTable.Entry dup = table.add("dup", NR.require("dup"), out[1]);
            table.add("write through the dup", NR.require("write"), 0, memory.cString("ok"), 2)
                    .argumentFrom(0, dup).mustEqual(2);
            table.add("execve /bin/true", NR.require("execve"),
                    memory.cString("/bin/true"), memory.cStringArray(List.of("true")), memory.cStringArray(List.of()));
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
            Syscalls.close(failure[1]);
            Syscalls.close(out[1]);
            assertEquals(0, Syscalls.read(failure[0], 16).length, "execve succeeded, so the CLOEXEC pipe just closed");
            assertEquals("ok", new String(Syscalls.read(out[0], 16), StandardCharsets.UTF_8));
            assertEquals(0, Syscalls.wait4(child.pid(), 0).exitCode());
        } finally {
            Syscalls.close(failure[0]);
            Syscalls.close(out[0]);
        }
    }

    @Test
    void vforkChildWaitsForParentWorkOnAnotherThread() {
        int[] sync = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            long buffer = table.memory().allocate(8);
            table.add("wait for the parent's byte", NR.require("read"), sync[0], buffer, 1).mustEqual(1);
            table.add("execve /bin/true", NR.require("execve"), table.memory().cString("/bin/true"),
                    table.memory().cStringArray(List.of("true")), table.memory().cStringArray(List.of()));
            long caller = Thread.currentThread().getId();
            long[] workThread = new long[1];
            int[] workPid = new int[1];
            SyscallTable.Spawned child = table.cloneAndRun(
                    Signals.SIGCHLD | CloneFlags.CLONE_PIDFD | CloneFlags.CLONE_VM | CloneFlags.CLONE_VFORK, failure[1],
                    (pid, pidfd) -> {
                        workThread[0] = Thread.currentThread().getId();
                        workPid[0] = pid;
                        Syscalls.write(sync[1], new byte[] {1}); // the suspended caller wakes once the child execs
                    });
            assertNull(child.parentWorkFailure());
            assertNotEquals(caller, workThread[0], "with CLONE_VFORK the work runs on another thread");
            assertEquals(child.pid(), workPid[0], "the work learned the pid from the pidfd");
            Syscalls.close(failure[1]);
            assertEquals(0, Syscalls.read(failure[0], 16).length);
            assertEquals(0, Syscalls.wait4(child.pid(), 0).exitCode());
            Syscalls.close(child.pidfd());
        } finally {
            Syscalls.close(sync[0]);
            Syscalls.close(sync[1]);
            Syscalls.close(failure[0]);
        }
    }

    @Test
    void failingParentWorkKillsTheChild() {
        int[] sync = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            long buffer = table.memory().allocate(8);
            table.add("wait forever for the parent", NR.require("read"), sync[0], buffer, 1).mustEqual(1);
            SyscallTable.Spawned child = table.cloneAndRun(
                    Signals.SIGCHLD | CloneFlags.CLONE_PIDFD | CloneFlags.CLONE_VM | CloneFlags.CLONE_VFORK, failure[1],
                    (pid, pidfd) -> {
                        throw new IllegalStateException("cannot write the maps");
                    });
            assertEquals("cannot write the maps", child.parentWorkFailure().getMessage());
            Syscalls.WaitStatus status = Syscalls.wait4(child.pid(), 0);
            assertEquals(Signals.SIGKILL, status.termSignal());
            Syscalls.close(child.pidfd());
        } finally {
            Syscalls.close(sync[0]);
            Syscalls.close(sync[1]);
            Syscalls.close(failure[0]);
            Syscalls.close(failure[1]);
        }
    }

    @Test
    void severalErrnosCanBeToleratedAndOthersStillFail() {
        int[] failure = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        try (SyscallTable table = new SyscallTable()) {
            table.add("close a bad fd, ENOENT or EBADF tolerated", NR.require("close"), 100_000)
                    .tolerate(2).tolerate(9);
            table.add("close a bad fd, only ENOENT tolerated", NR.require("close"), 100_000).tolerate(2);
            SyscallTable.Spawned child = table.cloneAndRun(Signals.SIGCHLD | CloneFlags.CLONE_PIDFD, failure[1], (pid, pidfd) -> { });
            Syscalls.close(failure[1]);
            SyscallTable.ChildFailure reported = table.decodeFailure(Syscalls.read(failure[0], 16));
            assertEquals(1, reported.index(), "the first entry passed, the second failed");
            assertEquals(9, reported.errno());
            assertEquals(127, Syscalls.wait4(child.pid(), 0).exitCode());
            Syscalls.close(child.pidfd());
        } finally {
            Syscalls.close(failure[0]);
        }
    }
    @Test
    void aFailedWakeOfTheWorkThreadIsReportedAsItsOwnStep() {
        try (SyscallTable table = new SyscallTable()) {
            table.add("first entry", 39); // getpid
            java.nio.ByteBuffer record = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            record.putLong(dev.bulwark.nativ.machinecode.X86_64Routines.WAKE_INDEX).putLong(-14); // EFAULT
            SyscallTable.ChildFailure failure = table.decodeFailure(record.array());
            assertEquals(-1, failure.index());
            assertTrue(failure.step().startsWith("wake the launcher's work thread"), failure.step());
        }
    }
}
