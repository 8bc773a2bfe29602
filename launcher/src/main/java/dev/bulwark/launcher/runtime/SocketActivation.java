package dev.bulwark.launcher.runtime;

import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.TiniInit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * systemd socket activation passed through, as runc and crun do: when the launcher's environment has
 * {@code LISTEN_FDS} and {@code LISTEN_PID} names the launcher itself, its fds 3 .. 3+LISTEN_FDS-1 are
 * the listening sockets systemd (or systemd-socket-activate) opened for the service. The workload inherits
 * them, and its environment gets {@code LISTEN_FDS}, {@code LISTEN_PID} rewritten to the pid the workload
 * has in its pid namespace (sd_listen_fds(3) ignores the fds otherwise), and {@code LISTEN_FDNAMES} as
 * given. A {@code LISTEN_PID} of another process means the variables were meant for someone else: ignored.
 *
 * @param count listening sockets, fds 3 .. 3+count-1
 * @param names LISTEN_FDNAMES as given (colon-separated), or null
 */
public record SocketActivation(int count, String names) {
    private static final System.Logger LOG = System.getLogger("dev.bulwark.launcher");
    public static final List<String> VARIABLES = List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES");

    /** The activation meant for {@code launcherPid}, if {@code environment} carries one. */
    public static Optional<SocketActivation> fromEnvironment(Map<String, String> environment, int launcherPid) {
        String fds = environment.get("LISTEN_FDS");
        String pid = environment.get("LISTEN_PID");
        if (fds == null || pid == null || !pid.strip().equals(Integer.toString(launcherPid))) {
            return Optional.empty();
        }
        int count;
        try {
            count = Integer.parseInt(fds.strip());
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 0) {
            throw new LaunchException("LISTEN_FDS: \"" + fds + "\" is not a count of listening sockets (socket activation)");
        }
        return count == 0 ? Optional.empty() : Optional.of(new SocketActivation(count, environment.get("LISTEN_FDNAMES")));
    }

    /** {@code spec} with the LISTEN_* variables the workload needs (any it had are replaced). */
    public Spec applyTo(Spec spec) {
        List<String> env = new ArrayList<>();
        for (String entry : spec.process().env()) {
            if (VARIABLES.stream().noneMatch(name -> entry.startsWith(name + "="))) {
                env.add(entry);
            }
        }
        env.add("LISTEN_FDS=" + count);
        env.add("LISTEN_PID=" + workloadPid(spec));
        if (names != null) {
            env.add("LISTEN_FDNAMES=" + names);
        }
        return spec.withProcess(spec.process().withEnv(env));
    }

    /**
     * The workload's pid as it sees it: 1 in a pid namespace of its own, 2 under tini (its first child
     * there). Without a new pid namespace it is known only after clone; then 1, as runc always sets.
     */
    static int workloadPid(Spec spec) {
        boolean tini = !spec.process().args().isEmpty() && spec.process().args().get(0).equals(TiniInit.DESTINATION);
        if (!spec.linux().createsNamespace("pid")) {
            LOG.log(System.Logger.Level.WARNING, "LISTEN_PID: the config makes no pid namespace of its own, so the "
                    + "workload's pid is not known before it starts; set to 1 as runc does (sd_listen_fds may ignore the sockets)");
            return 1;
        }
        return tini ? 2 : 1;
    }
}
