package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.runtime.Container;
import dev.bulwark.launcher.runtime.ContainerId;
import dev.bulwark.launcher.runtime.ContainerLog;
import dev.bulwark.launcher.runtime.ContainerState;
import dev.bulwark.launcher.runtime.NoSuchContainerException;
import dev.bulwark.launcher.runtime.StateRoot;
import dev.bulwark.nativ.SyscallException;
import dev.bulwark.nativ.Syscalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;

/**
 * {@code bulwark logs [-f] [--tail N] ID}: the output of a container started by {@code run --detach},
 * from the log in its state directory, readable until {@code delete}.
 */
@Command(name = "logs", mixinStandardHelpOptions = true, description = {
        "Print the output of a container started by run --detach (the log in its state directory): its stdout and "
                + "stderr as one stream, in the order written, plain bytes. Readable after it stopped, until delete.",
        "Exit status 1: no such container, or one without a log (create, a foreground run, --log-driver passthrough)."},
        footer = {"", "Examples:",
                "  bulwark run --detach --id web -- python3 -m http.server 8080",
                "  bulwark logs web                 # everything so far",
                "  bulwark logs -f --tail 20 web    # the last 20 lines, then follow"})
final class LogsCommand implements Callable<Integer> {
    private static final int CHUNK = 65536;
    /** How often -f looks for new output while the container runs (its end is noticed at once, through a pidfd). */
    private static final long FOLLOW_POLL_MILLIS = 200;

    @Option(names = {"-f", "--follow"}, description = "keep printing new output until the container stops")
    boolean follow;

    @Option(names = {"-n", "--tail"}, paramLabel = "N", description = "only the last N lines (default: all)")
    Integer tail;

    @Mixin
    StateRootOption stateRoot;

    @Parameters(paramLabel = "ID", description = "the container's id (as run --detach printed it)")
    String id;

    @Override
    public Integer call() {
        ContainerId container = ContainerId.parse(id, "ID");
        if (tail != null && tail < 0) {
            throw new LaunchException("--tail: must be 0 or more, got " + tail);
        }
        try (StateRoot root = stateRoot.openHolding(container)) {
            int log = ContainerLog.openForReading(root, container).orElseThrow(() -> new LaunchException("container "
                    + container + ": has no log; its stdout and stderr were its caller's (create, a foreground run, "
                    + "or run --detach --log-driver passthrough)", Container.VERB_FAILED, null));
            try {
                if (tail == null) {
                    copyToEnd(log);
                } else {
                    printLastLines(log, tail);
                }
                if (follow) {
                    follow(root, container, log);
                }
            } finally {
                Syscalls.close(log);
            }
        }
        return 0;
    }

    /** Prints new output until the container's init is gone (or it was deleted), then what it wrote last. */
    private static void follow(StateRoot root, ContainerId container, int log) {
        int initFd = openInit(root, container);
        try {
            boolean ended = initFd < 0;
            while (!ended && !System.out.checkError()) { // checkError: a reader that went away (logs -f | head)
                ended = Syscalls.pollReadable(initFd, FOLLOW_POLL_MILLIS); // a pidfd is readable once its process exited
                copyToEnd(log);
            }
            copyToEnd(log);
        } finally {
            if (initFd >= 0) {
                Syscalls.close(initFd);
            }
        }
    }

    /** A pidfd of the container's running init, or -1 when it is gone (checked again after the open: no reused pid). */
    private static int openInit(StateRoot root, ContainerId container) {
        ContainerState state;
        try {
            state = Container.load(root, container).state();
        } catch (NoSuchContainerException e) {
            return -1; // deleted meanwhile: what was read is all there is
        }
        if (state.status().equals("stopped") || state.pid() <= 0) {
            return -1;
        }
        int pidfd;
        try {
            pidfd = dev.bulwark.nativ.DirectoryCalls.pidfdOpen(state.pid());
        } catch (SyscallException e) {
            return -1; // ESRCH: exited meanwhile
        }
        if (!state.initAlive()) {
            Syscalls.close(pidfd);
            return -1;
        }
        return pidfd;
    }

    private static void copyToEnd(int log) {
        for (byte[] chunk = Syscalls.read(log, CHUNK); chunk.length > 0; chunk = Syscalls.read(log, CHUNK)) {
            System.out.write(chunk, 0, chunk.length);
        }
        System.out.flush();
    }

    /** Reads the log to its end, keeping only the last {@code lines} lines (a last line without newline counts). */
    private static void printLastLines(int log, int lines) {
        ArrayDeque<byte[]> kept = new ArrayDeque<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (byte[] chunk = Syscalls.read(log, CHUNK); chunk.length > 0; chunk = Syscalls.read(log, CHUNK)) {
            int start = 0;
            for (int i = 0; i < chunk.length; i++) {
                if (chunk[i] == '\n') {
                    line.write(chunk, start, i + 1 - start);
                    keep(kept, line.toByteArray(), lines);
                    line.reset();
                    start = i + 1;
                }
            }
            line.write(chunk, start, chunk.length - start);
        }
        if (line.size() > 0) {
            keep(kept, line.toByteArray(), lines);
        }
        for (byte[] each : kept) {
            System.out.write(each, 0, each.length);
        }
        System.out.flush();
    }

    private static void keep(ArrayDeque<byte[]> kept, byte[] line, int lines) {
        if (lines == 0) {
            return;
        }
        if (kept.size() == lines) {
            kept.removeFirst();
        }
        kept.addLast(line);
    }
}
