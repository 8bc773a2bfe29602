package dev.bulwark.nativ.signal;

import dev.bulwark.nativ.Arch;
import dev.bulwark.nativ.Kernel;
import dev.bulwark.nativ.NativeMemory;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.SyscallNumbers;
import dev.bulwark.nativ.Syscalls;
import dev.bulwark.nativ.constants.OpenFlags;
import dev.bulwark.nativ.machinecode.ExecutableCode;
import dev.bulwark.nativ.machinecode.X86_64Routines;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * Delivers chosen signals to a Java callback on a dedicated thread: a native handler writes each
 * signal's number to a pipe (the self-pipe trick) and the thread reads it. Unlike sun.misc.Signal
 * this also works for SIGQUIT, which the JVM keeps for thread dumps. Process-wide: install once.
 */
public final class SignalRelay {
    /** Not a signal number: written by {@link #stop()} to end the reader thread. */
    private static final byte STOP = 0;
    private static volatile int wakeFd = -1;
    private static volatile Thread reader;

    private static final int SYS_RT_SIGACTION = SyscallNumbers.host().require("rt_sigaction");
    private static final long SA_RESTORER = 0x04000000L;
    private static final long SA_RESTART = 0x10000000L;
    private static final int KERNEL_SIGACTION_SIZE = 32;

    private SignalRelay() {
    }

    /** Routes {@code signals} to {@code onSignal}, called on a daemon thread named "bulwark-signals". */
    public static void install(List<Integer> signals, IntConsumer onSignal) {
        if (Arch.requireHost() != Arch.X86_64) {
            throw new UnsupportedOperationException("signal relay is implemented for x86-64 only");
        }
        int[] pipe = Syscalls.pipe2(OpenFlags.O_CLOEXEC | OpenFlags.O_NONBLOCK);
        X86_64Routines.SignalHandlerCode code = X86_64Routines.signalToPipeHandler(pipe[1]);
        ExecutableCode handler = ExecutableCode.load(code.code(), 1);
        Thread thread = new Thread(() -> readLoop(pipe[0], onSignal), "bulwark-signals");
        thread.setDaemon(true);
        thread.start();
        reader = thread;
        wakeFd = pipe[1];
        try (NativeMemory memory = new NativeMemory()) {
            long action = memory.allocate(KERNEL_SIGACTION_SIZE); // {handler, flags, restorer, mask}
            NativeMemory.putLong(action, handler.address());
            NativeMemory.putLong(action + 8, SA_RESTORER | SA_RESTART);
            NativeMemory.putLong(action + 16, handler.address() + code.restorerOffset());
            NativeMemory.putLong(action + 24, 0);
            for (int signal : signals) {
                long result = Kernel.raw(SYS_RT_SIGACTION, signal, action, 0, 8, 0);
                if (Kernel.isError(result)) {
                    throw new SyscallException("rt_sigaction", List.of(String.valueOf(signal), "[handler]", "NULL", "8"),
                            (int) -result);
                }
            }
        }
    }

    /**
     * Ends the reader thread (signals arriving later are dropped). Call before the JVM exits: HotSpot's
     * exit waits up to 300 ms for threads that are inside native code, as the reader is while it polls.
     */
    public static void stop() {
        Thread thread = reader;
        if (thread == null) {
            return;
        }
        Syscalls.write(wakeFd, new byte[] {STOP});
        try {
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reader = null;
    }

    private static void readLoop(int fd, IntConsumer onSignal) {
        // The read end is non-blocking too (pipe2 sets both ends); poll it gently instead of spinning.
        while (true) {
            byte[] received;
            try {
                received = Syscalls.read(fd, 64);
            } catch (SyscallException e) {
                if (e.errno() == dev.bulwark.nativ.Errno.EAGAIN) {
                    waitReadable(fd);
                    continue;
                }
                throw e;
            }
            for (byte signal : received) {
                if (signal == STOP) {
                    return;
                }
                onSignal.accept(signal & 0xff);
            }
        }
    }

    private static final int SYS_PPOLL = SyscallNumbers.host().require("ppoll");

    private static void waitReadable(int fd) {
        try (NativeMemory memory = new NativeMemory()) {
            long pollfd = memory.allocate(8); // struct pollfd {int fd; short events; short revents}
            NativeMemory.putInt(pollfd, fd);
            NativeMemory.putInt(pollfd + 4, 1); // POLLIN
            Kernel.raw(SYS_PPOLL, pollfd, 1, 0, 0, 8); // blocks until readable; EINTR just loops
        }
    }
}
