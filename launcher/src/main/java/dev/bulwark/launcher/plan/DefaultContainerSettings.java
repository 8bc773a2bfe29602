package dev.bulwark.launcher.plan;

import dev.bulwark.config.model.LinuxIdMapping;
import dev.bulwark.config.model.Process;
import dev.bulwark.config.model.Root;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.model.User;
import dev.bulwark.launcher.LaunchException;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What shapes the built-in default container, with the meaning {@code podman run} gives each setting:
 * one translation for {@code bulwark run [flags] -- CMD} and the Java API. Every bad value is one line
 * naming its flag ({@code --user: ...}); null or empty leaves the default.
 *
 * @param user        UID[:GID] as numbers
 * @param workdir     an absolute path
 * @param envFiles    files of NAME=VALUE lines, read before {@code env}
 * @param env         NAME=VALUE, or NAME alone for the launcher's value
 * @param launcherEnv the launcher's environment, for NAME alone
 * @param hostname    the container's host name
 * @param capAdd      capabilities to add
 * @param capDrop     capabilities to drop
 * @param readOnly    false makes the root writable (its in-memory tmpfs)
 * @param memory      memory limit, e.g. 64m
 * @param pids        process limit
 * @param cpus        CPU bandwidth
 * @param mounts      binds and tmpfs, each with the flag that asked for it
 */
public record DefaultContainerSettings(String user, String workdir, List<Path> envFiles, List<String> env,
                                       Map<String, String> launcherEnv, String hostname, List<String> capAdd,
                                       List<String> capDrop, Boolean readOnly, String memory, Long pids, Double cpus,
                                       List<MountArguments.Flagged> mounts) {
    private static final Pattern HOSTNAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");

    public DefaultContainerSettings {
        envFiles = envFiles == null ? List.of() : List.copyOf(envFiles);
        env = env == null ? List.of() : List.copyOf(env);
        launcherEnv = launcherEnv == null ? Map.of() : Map.copyOf(launcherEnv);
        capAdd = capAdd == null ? List.of() : List.copyOf(capAdd);
        capDrop = capDrop == null ? List.of() : List.copyOf(capDrop);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
    }

    /** The built-in default {@code spec} with these settings applied. */
    public Spec applyTo(Spec spec) {
        Process p = spec.process();
        User u = p.user();
        if (user != null) {
            if (!user.matches("\\d{1,10}(:\\d{1,10})?")) {
                throw new LaunchException("--user: expected UID[:GID] as numbers, got \"" + user + "\"");
            }
            String[] parts = user.split(":");
            long uid = Long.parseLong(parts[0]);
            long gid = parts.length > 1 ? Long.parseLong(parts[1]) : uid;
            requireMapped("uid", uid, spec.linux().uidMappings());
            requireMapped("gid", gid, spec.linux().gidMappings());
            u = new User(uid, gid, u.umask(), List.of(), null);
        }
        if (workdir != null && !workdir.startsWith("/")) {
            throw new LaunchException("--workdir: \"" + workdir + "\" must be an absolute path");
        }
        List<String> environment = EnvironmentFlags.merge(p.env(), envFiles, env, launcherEnv);
        Process process = p.withUser(u).withEnv(environment).withCwd(workdir != null ? workdir : p.cwd());
        if (!capAdd.isEmpty() || !capDrop.isEmpty()) {
            process = process.withCapabilities(CapabilityFlags.apply(capAdd, capDrop, u.uid()));
        }
        Spec edited = spec.withProcess(process).withMounts(MountArguments.addTo(spec.mounts(), mounts));
        if (hostname != null) {
            if (hostname.length() > 64 || !HOSTNAME.matcher(hostname).matches()) {
                throw new LaunchException("--hostname: \"" + hostname + "\" is not a host name (letters, digits, '-' and '.', at most 64)");
            }
            edited = new Spec(edited.ociVersion(), edited.process(), edited.root(), hostname, edited.domainname(),
                    edited.mounts(), edited.hooks(), edited.annotations(), edited.linux());
        }
        if (Boolean.FALSE.equals(readOnly)) {
            edited = edited.withRoot(new Root(edited.root().path(), false));
        }
        return ResourceFlags.apply(edited, memory, pids, cpus);
    }

    /** An id outside the user namespace's map could never be switched to; rootless, only container root is mapped. */
    private static void requireMapped(String kind, long id, List<LinuxIdMapping> mappings) {
        if (mappings.stream().noneMatch(m -> id >= m.containerId() && id - m.containerId() < m.size())) {
            throw new LaunchException("--user: " + kind + " " + id + " is not mapped in the container's user namespace"
                    + (mappings.size() == 1 && mappings.get(0).size() == 1 ? " (rootless, only 0 is: container root is you)" : ""));
        }
    }
}
