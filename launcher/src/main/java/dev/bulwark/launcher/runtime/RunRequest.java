package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.LsmHost;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * One container to run.
 *
 * @param spec          the OCI config (validated by the run)
 * @param bundle        the bundle directory (root.path is relative to it), or null for the built-in root
 * @param id            the container id
 * @param hostUsrRoot   assemble the root from the host's /usr instead of root.path
 * @param stateRoot     where state directories live
 * @param allowHostRoot confirm a config that maps container ids onto host root
 * @param hostIdRange   the host id range container ids map onto when running as root without mappings
 * @param explain       where to narrate each step as it happens, or null for silence
 * @param testPause     test hook: the launch step to stop at (see {@link LaunchStep#fromEnvironment()}), or null
 * @param create        for {@code create}: leave the container waiting for {@code start}; null for {@code run}
 * @param lsm           the host's LSMs as probed once for this launch (the CLI decided on the config's labels
 *                      with it), or null to probe them when the launch starts
 * @param foreground    for a foreground {@code run} from the CLI: the signals it relays and its stop timeout;
 *                      null relays nothing (an embedding JVM keeps its own signal handling)
 * @param handoff       what the launcher passes on from its own process: fds, systemd's sockets, NOTIFY_SOCKET
 * @param embedded      for a foreground run from an embedding JVM (the Java API): the container's own stdio
 *                      and who learns of it once it runs; null: it shares the launcher's stdio (the CLI)
 */
public record RunRequest(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot,
                         boolean allowHostRoot, LinuxIdMapping hostIdRange, PrintStream explain, LaunchStep testPause,
                         CreateOptions create, LsmHost lsm, Foreground foreground, HostHandoff handoff, Embedded embedded) {
    public RunRequest {
        handoff = handoff == null ? HostHandoff.NONE : handoff;
    }

    public RunRequest(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot, boolean allowHostRoot,
                      LinuxIdMapping hostIdRange, PrintStream explain, LaunchStep testPause, CreateOptions create, LsmHost lsm,
                      Foreground foreground, HostHandoff handoff) {
        this(spec, bundle, id, hostUsrRoot, stateRoot, allowHostRoot, hostIdRange, explain, testPause, create, lsm, foreground,
                handoff, null);
    }

    /**
     * A container run by a JVM that embeds Bulwark: the child takes {@code stdin}, {@code stdout} and
     * {@code stderr} (the launcher's fds, 3 or above, e.g. pipes) as its fds 0, 1 and 2, never the JVM's own.
     *
     * @param running called on the launching thread once the workload runs, before the launch waits for it
     * @param memo    what the embedder's earlier launches of an equal config found (validation, exec-config.json);
     *                null for none
     */
    public record Embedded(int stdin, int stdout, int stderr, java.util.function.Consumer<Running> running, LaunchMemo memo) {
        public Embedded(int stdin, int stdout, int stderr, java.util.function.Consumer<Running> running) {
            this(stdin, stdout, stderr, running, null);
        }
    }

    /** The embedder's memo of earlier launches, or null (the CLI: one launch per process). */
    LaunchMemo memo() {
        return embedded == null ? null : embedded.memo();
    }

    /** A running container of an {@link Embedded} launch: its init and how to signal or kill it. */
    public record Running(String id, int pid, ContainerStop stop) {
    }

    public RunRequest(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot, boolean allowHostRoot,
                      LinuxIdMapping hostIdRange, PrintStream explain, LaunchStep testPause, CreateOptions create, LsmHost lsm,
                      Foreground foreground) {
        this(spec, bundle, id, hostUsrRoot, stateRoot, allowHostRoot, hostIdRange, explain, testPause, create, lsm, foreground,
                HostHandoff.NONE);
    }

    /**
     * How a foreground launcher stops its container (see {@link ContainerStop}).
     *
     * @param signals     the process's signal relay
     * @param stopTimeout how long a stop signal leaves the workload before it is killed (zero: kill at once)
     */
    public record Foreground(SignalForwarding signals, java.time.Duration stopTimeout) {
    }

    public RunRequest(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot, boolean allowHostRoot,
                      LinuxIdMapping hostIdRange, PrintStream explain, LaunchStep testPause, CreateOptions create, LsmHost lsm) {
        this(spec, bundle, id, hostUsrRoot, stateRoot, allowHostRoot, hostIdRange, explain, testPause, create, lsm, null);
    }

    /**
     * What {@code create} adds to a launch.
     *
     * @param pidFile     where to write the init's host pid (atomically), or null
     * @param preserveFds how many fds from 3 up the workload inherits
     * @param logToState  the container's stdin is /dev/null and its stdout and stderr go to {@link ContainerLog}
     *                    in its state directory ({@code run --detach}); false keeps the caller's stdio (create)
     * @param consoleSocket with process.terminal: the AF_UNIX socket the terminal's master is sent to
     *                      ({@code --console-socket}); null otherwise
     */
    public record CreateOptions(Path pidFile, int preserveFds, boolean logToState, Path consoleSocket) {
        public CreateOptions(Path pidFile, int preserveFds) {
            this(pidFile, preserveFds, false);
        }

        public CreateOptions(Path pidFile, int preserveFds, boolean logToState) {
            this(pidFile, preserveFds, logToState, null);
        }
    }

    public RunRequest(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot, boolean allowHostRoot,
                      LinuxIdMapping hostIdRange, PrintStream explain, LaunchStep testPause, CreateOptions create) {
        this(spec, bundle, id, hostUsrRoot, stateRoot, allowHostRoot, hostIdRange, explain, testPause, create, null);
    }

    public RunRequest(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot, boolean allowHostRoot,
                      LinuxIdMapping hostIdRange, PrintStream explain, LaunchStep testPause) {
        this(spec, bundle, id, hostUsrRoot, stateRoot, allowHostRoot, hostIdRange, explain, testPause, null);
    }

    public RunRequest(Spec spec, Path bundle, String id, boolean hostUsrRoot, Path stateRoot, boolean allowHostRoot,
                      LinuxIdMapping hostIdRange, PrintStream explain) {
        this(spec, bundle, id, hostUsrRoot, stateRoot, allowHostRoot, hostIdRange, explain, null);
    }
}
