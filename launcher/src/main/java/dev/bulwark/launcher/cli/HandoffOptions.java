package dev.bulwark.launcher.cli;

import dev.bulwark.launcher.runtime.HostHandoff;
import picocli.CommandLine.Option;

/**
 * {@code --preserve-fds} for {@code run} and {@code create}; socket activation (LISTEN_FDS) and, for a
 * foreground run, NOTIFY_SOCKET come from the launcher's environment without a flag (as with runc).
 */
final class HandoffOptions {
    @Option(names = "--preserve-fds", paramLabel = "N", description = "pass the launcher's fds 3 .. 3+N-1 on to the "
            + "workload (as runc; after socket activation's listening sockets when LISTEN_FDS is set); each must be one "
            + "the launcher inherited. Socket activation needs no flag: with LISTEN_FDS and LISTEN_PID (the launcher's pid) "
            + "set, fds 3 .. 3+LISTEN_FDS-1 are passed and the workload gets LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID "
            + "(its pid in its pid namespace: 1, 2 under --init)")
    int preserveFds;

    /** @param relayNotify relay NOTIFY_SOCKET (a foreground run; a created container's launcher is gone) */
    HostHandoff handoff(boolean relayNotify) {
        return HostHandoff.fromLauncher(preserveFds, relayNotify);
    }
}
