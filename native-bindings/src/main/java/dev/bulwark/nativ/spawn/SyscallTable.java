package dev.bulwark.nativ.spawn;

import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.DirectoryCalls;
import dev.bulwark.nativ.SyscallNumbers;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.Errno;
import dev.bulwark.nativ.Kernel;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.machinecode.ExecutableCode;
import dev.bulwark.nativ.machinecode.X86_64Routines;
import dev.bulwark.nativ.constants.CloneFlags;

import java.util.ArrayList;
import java.util.List;

import static dev.bulwark.nativ.machinecode.TableLayout.*;

/**
 * A list of syscalls for a cloned child to run, in order, without any Java: the mechanism that
 * lets the launcher prepare a container in a copy of the JVM. Each entry carries a step name so a
 * failure reported by the child ({@link ChildFailure}) can be explained.
 *
 * <p>The table holds only numbers and pointers into {@link #memory()}, which the caller fills
 * (strings, structs) and which the child sees as its own copy after clone.
 */
public final class SyscallTable implements AutoCloseable {
    private static final class Holder {
        static final ExecutableCode CLONE_AND_RUN = load();

        private static ExecutableCode load() {
            Arch arch = Arch.requireHost();
            if (arch != Arch.X86_64) {
                throw new UnsupportedOperationException("the child routine is implemented for x86-64 only; this host is " + arch);
            }
            return ExecutableCode.load(X86_64Routines.cloneAndRun(), 1);
        }
    }

    private static final SyscallNumbers NR = SyscallNumbers.host();

    private final NativeMemory memory = new NativeMemory();
    private final List<Entry> entries = new ArrayList<>();
    private final List<Integer> ownedFds = new ArrayList<>();
    /** The pipe a fork step hands the new pid over on ({read, write}), or null without one. */
    private int[] handover;
    /** The pid the fork step handed over, once read ({@link #forkedPid}); 0 before. */
    private volatile int forked;

    /** Native memory owned by this table, for the entries' strings and structs. */
    public NativeMemory memory() {
        return memory;
    }

    /** Appends {@code number(args...)}; by default any non-error result counts as success. */
    public Entry add(String step, int number, long... args) {
        if (args.length > 6) {
            throw new IllegalArgumentException("a syscall takes at most 6 arguments: " + step);
        }
        Entry entry = new Entry(entries.size(), step, number, java.util.Arrays.copyOf(args, 6));
        entries.add(entry);
        return entry;
    }

    /**
     * Appends a fork step: {@code clone(flags)} whose caller writes the new pid to a hand-over pipe and
     * exits 0, while the new process goes on with the next entry (its first one closes its copy of the
     * pipe). {@link #cloneAndRun} then returns the new process, not the one it cloned. At most one.
     *
     * @param flags clone flags with the exit signal, e.g. CLONE_PARENT | SIGCHLD so that the new process
     *              is the launcher's child
     */
    public Entry addFork(String step, long flags) {
        if (handover != null) {
            throw new IllegalStateException("a table has at most one fork step");
        }
        handover = Syscalls.pipe2(OpenFlags.O_CLOEXEC);
        ownedFds.add(handover[0]);
        ownedFds.add(handover[1]);
        Entry fork = add(step, NR.require("clone"), flags, 0, 0, 0, 0);
        fork.flags |= 1L << FLAG_FORK_BIT;
        add("close the hand-over pipe", NR.require("close"), handover[1]);
        return fork;
    }

    /**
     * The process the fork step made, from within {@link ParentWork}: only once the child is known to be
     * past that step (it stopped at a later one), else this blocks until the fork or the cloned process's
     * end. The launcher then serves later stops (hooks) for the container's real init.
     *
     * @throws IllegalStateException when the cloned process ended without handing a process over (it
     *                               failed before the fork, or could not hand over: its failure record says why)
     */
    public int forkedPid() {
        if (handover == null) {
            throw new IllegalStateException("the table has no fork step");
        }
        int pid = readHandover();
        if (pid == 0) {
            throw new IllegalStateException("fork step: the cloned process ended without handing a forked process over");
        }
        return pid;
    }

    /**
     * The pid the fork step handed over, read once from the hand-over pipe, or 0 at end-of-file: the
     * cloned process ended without handing one over. Only the cloned process holds the pipe's write end
     * (the launcher closes its copy once clone returns), so end-of-file comes when it ends.
     */
    private int readHandover() {
        if (forked == 0) {
            byte[] record = Syscalls.read(handover[0], HANDOVER_RECORD_SIZE);
            if (record.length == 0) {
                return 0;
            }
            if (record.length != HANDOVER_RECORD_SIZE) {
                throw new IllegalStateException("fork step: hand-over record of " + record.length + " bytes");
            }
            forked = (int) java.nio.ByteBuffer.wrap(record).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        }
        return forked;
    }

    /** The hand-over pipe's write end, which only the child may hold while it runs (for tests that break it). */
    int handoverWriteEnd() {
        return handover[1];
    }

    /** Whether the table has a fork step (so cloneAndRun returns the process it forked). */
    public boolean forks() {
        return handover != null;
    }

    /** An fd the launcher opened for the child (e.g. a namespace to join): closed with this table. */
    public void closeWithTable(int fd) {
        ownedFds.add(fd);
    }

    public int size() {
        return entries.size();
    }

    public String step(int index) {
        if (index == dev.bulwark.nativ.machinecode.X86_64Routines.WAKE_INDEX) {
            return "wake the launcher's work thread (futex on the pidfd slot)";
        }
        return index >= 0 && index < entries.size() ? entries.get(index).step : "after the last step";
    }

    /** Entry {@code index}, to read back what was added (a plan renders it as text). */
    public Entry entry(int index) {
        return entries.get(index);
    }

    /** The kind of entry {@code index}; {@link StepKind#SETUP} past the end. */
    public StepKind kind(int index) {
        return index >= 0 && index < entries.size() ? entries.get(index).kind : StepKind.SETUP;
    }

    /** Every step name, in order: what the child will do. */
    public List<String> steps() {
        return entries.stream().map(e -> e.step).toList();
    }

    /**
     * The launcher's work between clone and the child's release (write the id maps, join the cgroup,
     * then let the child go). It must release or kill the child: with {@code CLONE_VFORK} the calling
     * thread is suspended until the child execs or exits.
     */
    @FunctionalInterface
    public interface ParentWork {
        void run(int pid, int pidfd);
    }

    /**
     * Clones with {@code cloneFlags} (which must include the exit signal and CLONE_PIDFD) and lets the
     * child run the table, while {@code work} runs in the parent. All signals are blocked across the
     * clone so the child cannot run a JVM signal handler before the table resets them; the table is
     * expected to unblock them before execve.
     *
     * <p>Without CLONE_VM the child gets a copy of the JVM's memory (cost grows with the heap's page
     * tables) and {@code work} runs on this thread after clone returns. With CLONE_VM|CLONE_VFORK the
     * child borrows the JVM's memory (it writes only the table's result slots and failure record and
     * never touches the stack) and this thread sleeps until execve, so {@code work} runs on a helper thread that learns
     * the child from the pidfd the kernel stores before the child starts.
     *
     * <p>With a fork step ({@link #addFork}) {@code work} still sees the cloned process, and the process
     * returned is the one it forked (the container's init), once the cloned one has handed it over and
     * been reaped.
     *
     * @return the child, and what {@code work} threw (the child has then been killed)
     */
    public Spawned cloneAndRun(long cloneFlags, int failureFd, ParentWork work) {
        if ((cloneFlags & CloneFlags.CLONE_PIDFD) == 0) {
            throw new IllegalArgumentException("cloneAndRun needs CLONE_PIDFD");
        }
        long table = memory.allocate(HEADER_SIZE + (long) ENTRY_SIZE * entries.size());
        NativeMemory.putLong(table + CLONE_FLAGS, cloneFlags);
        NativeMemory.putLong(table + FAILURE_FD, failureFd);
        NativeMemory.putLong(table + ENTRY_COUNT, entries.size());
        NativeMemory.putInt(table + PIDFD_SLOT, -1);
        NativeMemory.putLong(table + HANDOVER_FD, handover == null ? -1 : handover[1]);
        for (Entry entry : entries) {
            entry.write(table);
        }
        boolean vfork = (cloneFlags & CloneFlags.CLONE_VFORK) != 0;
        WorkRunner runner = vfork ? WorkRunner.startWatching(table + PIDFD_SLOT, work) : null;
        long previousMask = Syscalls.sigprocmask(Syscalls.SIG_SETMASK, -1L);
        long result;
        try {
            result = Holder.CLONE_AND_RUN.call(table);
        } finally {
            Syscalls.sigprocmask(Syscalls.SIG_SETMASK, previousMask);
            if (handover != null) { // the launcher never writes it: without our copy, the read ends when the child does
                Syscalls.close(handover[1]);
                ownedFds.remove(Integer.valueOf(handover[1]));
            }
        }
        if (result < 0) {
            if (runner != null) {
                runner.cancel();
                runner.await(); // never let the work run on while the caller unwinds
            }
            throw new SyscallException("clone", List.of("0x" + Long.toHexString(cloneFlags)), (int) -result);
        }
        int pid = (int) result;
        int pidfd = NativeMemory.getInt(table + PIDFD_SLOT);
        RuntimeException failure = runner != null ? runner.await() : WorkRunner.runNow(work, pid, pidfd);
        Spawned spawned = new Spawned(pid, pidfd, failure);
        return handover == null ? spawned : adoptForked(spawned);
    }

    /**
     * After a fork step the process that matters is the one it forked: read its pid from the hand-over
     * pipe, reap the forking process (it exits 0 right after writing) and open a pidfd for the new one.
     * Its pid cannot be reused meanwhile: it is this process's child (CLONE_PARENT) and not yet reaped.
     * End-of-file means the cloned process ended without handing a process over (it failed before the
     * fork, was killed by the work, or could not write the pid and killed the forked process): then it
     * is returned as it is, and its failure record says why.
     */
    private Spawned adoptForked(Spawned cloned) {
        int forked = readHandover(); // perhaps already read by the parent's work at a later stop
        if (forked == 0) {
            return cloned;
        }
        Syscalls.wait4(cloned.pid(), 0);
        Syscalls.close(cloned.pidfd());
        int pidfd;
        try {
            pidfd = DirectoryCalls.pidfdOpen(forked);
        } catch (SyscallException e) {
            Syscalls.kill(forked, dev.bulwark.nativ.constants.Signals.SIGKILL);
            Syscalls.wait4(forked, 0);
            throw e;
        }
        return new Spawned(forked, pidfd, cloned.parentWorkFailure());
    }

    /** Decodes the record a failed child wrote to its failure pipe. */
    public ChildFailure decodeFailure(byte[] record) {
        if (record.length != FAILURE_RECORD_SIZE) {
            throw new IllegalArgumentException("failure record of " + record.length + " bytes");
        }
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(record).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int index = (int) buffer.getLong();
        long result = buffer.getLong();
        return new ChildFailure(index, step(index), kind(index), result);
    }

    @Override
    public void close() {
        for (int fd : ownedFds) {
            try {
                Syscalls.close(fd);
            } catch (SyscallException e) {
                // already closed on an error path; nothing else holds it
            }
        }
        ownedFds.clear();
        memory.close();
    }

    /** The child as clone returned it, and what the parent's work threw (null when it succeeded). */
    public record Spawned(int pid, int pidfd, RuntimeException parentWorkFailure) {
    }

    /** One syscall of the table and how its result is judged. */
    public final class Entry {
        private final int index;
        private final String step;
        private final int number;
        private final long[] args;
        private long flags;
        private long expected;
        private long toleratedErrnos;
        private StepKind kind = StepKind.SETUP;
        private final int[] argumentFromEntry = {-1, -1, -1, -1, -1, -1};

        private Entry(int index, String step, int number, long[] args) {
            this.index = index;
            this.step = step;
            this.number = number;
            this.args = args;
        }

        public int index() {
            return index;
        }

        /** The step name given to {@link SyscallTable#add}. */
        public String step() {
            return step;
        }

        /** The syscall number. */
        public int number() {
            return number;
        }

        /** Argument {@code position} as added (meaningless where {@link #argumentSource} is set). */
        public long argument(int position) {
            return args[position];
        }

        /** The earlier entry whose result argument {@code position} takes at run time, or -1. */
        public int argumentSource(int position) {
            return argumentFromEntry[position];
        }

        public StepKind kind() {
            return kind;
        }

        /** How the result is judged beyond "not an error", in words ("" when it is not): "must return 1", "tolerates EEXIST". */
        public String judgement() {
            List<String> parts = new ArrayList<>();
            if ((flags & (1L << FLAG_MUST_EQUAL_BIT)) != 0) {
                parts.add("must return " + expected);
            }
            for (int errno = 1; errno < TOLERABLE_ERRNO_LIMIT; errno++) {
                if ((toleratedErrnos & (1L << errno)) != 0) {
                    parts.add("tolerates " + Errno.name(errno));
                }
            }
            return String.join(", ", parts);
        }

        /** Marks what this entry is for (every entry is {@link StepKind#SETUP} unless marked). */
        public Entry kind(StepKind newKind) {
            kind = java.util.Objects.requireNonNull(newKind);
            return this;
        }

        /** The result must be exactly {@code value} (e.g. read of one sync byte must return 1). */
        public Entry mustEqual(long value) {
            flags |= 1L << FLAG_MUST_EQUAL_BIT;
            expected = value;
            return this;
        }

        /** Failing with {@code errno} counts as success (e.g. EEXIST for mkdir); call once per errno. */
        public Entry tolerate(int errno) {
            if (errno <= 0 || errno >= TOLERABLE_ERRNO_LIMIT) {
                throw new IllegalArgumentException("only errnos 1.." + (TOLERABLE_ERRNO_LIMIT - 1) + " can be tolerated: " + errno);
            }
            toleratedErrnos |= 1L << errno;
            return this;
        }

        /** Argument {@code position} is, at run time, the result of the earlier entry {@code source}. */
        public Entry argumentFrom(int position, Entry source) {
            if (source.index >= index) {
                throw new IllegalArgumentException("entry " + index + " can only use results of earlier entries");
            }
            argumentFromEntry[position] = source.index;
            flags |= 1L << position;
            return this;
        }

        private void write(long table) {
            long at = table + HEADER_SIZE + (long) ENTRY_SIZE * index;
            NativeMemory.putLong(at + ENTRY_NUMBER, number);
            for (int i = 0; i < 6; i++) {
                long value = argumentFromEntry[i] >= 0
                        ? table + HEADER_SIZE + (long) ENTRY_SIZE * argumentFromEntry[i] + ENTRY_RESULT
                        : args[i];
                NativeMemory.putLong(at + ENTRY_ARGS + 8L * i, value);
            }
            NativeMemory.putLong(at + ENTRY_FLAGS, flags);
            NativeMemory.putLong(at + ENTRY_EXPECTED, expected);
            NativeMemory.putLong(at + ENTRY_TOLERATED, toleratedErrnos);
        }
    }

    /** What the child reported: which step failed, what kind of step it is, and the kernel's result. */
    public record ChildFailure(int index, String step, StepKind kind, long result) {
        public boolean isErrno() {
            return Kernel.isError(result);
        }

        public int errno() {
            return isErrno() ? (int) -result : 0;
        }

        /** "mount /proc: EPERM (Operation not permitted)" or "sync with parent: unexpected result 0". */
        public String message() {
            return step + ": " + (isErrno() ? Errno.describe(errno()) : "unexpected result " + result);
        }
    }
}
