package dev.bulwark.launcher.runtime;

import dev.bulwark.config.defaults.HardenedDefaults;
import dev.bulwark.config.model.Spec;
import dev.bulwark.config.validation.Problem;
import dev.bulwark.config.validation.SpecValidator;
import dev.bulwark.launcher.LaunchException;
import dev.bulwark.launcher.plan.HostPaths;
import dev.bulwark.launcher.plan.UnsupportedFields;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a launch decides before it touches anything: the effective config (validated, with a linux
 * section; a user namespace only where the config lists one), the id maps, and the bundle's root directory. It
 * creates no state directory, cgroup or process, so bad input fails here with nothing to undo.
 *
 * @param spec         the effective config
 * @param idMaps       the user namespace's maps
 * @param bundleRootfs the canonical root directory of the bundle, or null for the built-in root
 */
public record LaunchPlan(Spec spec, IdMaps idMaps, Path bundleRootfs) {

    /** @throws LaunchException naming the field and the reason, for a config this launch cannot run */
    public static LaunchPlan of(RunRequest request, int euid, int egid) {
        boolean rootless = euid != 0;
        Spec spec = withLinuxSection(request.spec(), rootless);
        LaunchMemo memo = request.memo();
        if (memo == null || !memo.isValidated(spec)) { // an embedder's unchanged config was validated by its first launch
            validated(spec);
            if (memo != null) {
                memo.validated(spec);
            }
        }
        UnsupportedFields.refuse(spec); // one line naming a field that would otherwise be dropped
        if (!spec.linux().hasNamespace("mount")) {
            throw new LaunchException("linux.namespaces: there is no \"mount\" namespace, and Bulwark needs one: it builds "
                    + "the container's root with pivot_root, which must not touch the host's mounts");
        }
        // The config is the contract: no user namespace listed, none made (the hardened profile adds one).
        boolean userNamespace = spec.linux().hasNamespace("user");
        if (!userNamespace && rootless) {
            throw new LaunchException("linux.namespaces: running without root needs a user namespace; add {\"type\": \"user\"}"
                    + " or use --profile hardened");
        }
        IdMaps idMaps = joinedUserNamespace(spec) ? IdMaps.joined(spec.linux(), rootless)
                : userNamespace ? IdMaps.choose(spec.linux().uidMappings(), spec.linux().gidMappings(), rootless, euid, egid,
                request.hostIdRange(), request.allowHostRoot()) : IdMaps.hostIds();
        long workloadUid = spec.process().user() == null ? 0 : spec.process().user().uid();
        long workloadGid = spec.process().user() == null ? 0 : spec.process().user().gid();
        if (!idMaps.mapsUid(workloadUid)) {
            throw new LaunchException("process.user.uid: " + workloadUid + " is not mapped by the user namespace");
        }
        if (!idMaps.mapsGid(workloadGid)) {
            throw new LaunchException("process.user.gid: " + workloadGid + " is not mapped by the user namespace");
        }
        Path bundleRootfs = request.hostUsrRoot() ? null : bundleRootfs(spec, request.bundle());
        return new LaunchPlan(spec, idMaps, bundleRootfs);
    }

    private static boolean joinedUserNamespace(Spec spec) {
        return spec.linux().hasNamespace("user") && !spec.linux().createsNamespace("user");
    }

    /**
     * The config as its author wrote it, checked before a profile lifts it, so that errors name the
     * author's own fields and indexes (a profile inserts namespaces and capabilities).
     */
    public static Spec validatedAsWritten(Spec spec, boolean rootless) {
        return validated(withLinuxSection(spec, rootless));
    }

    /** The runtime-spec makes linux optional: without it a container gets Bulwark's hardened Linux defaults. */
    static Spec withLinuxSection(Spec spec, boolean rootless) {
        return spec.linux() != null ? spec : spec.withLinux(HardenedDefaults.linuxWithoutUserNamespace(rootless));
    }

    /** Every problem on one line: the CLI reports one line per failure. */
    private static Spec validated(Spec spec) {
        List<Problem> problems = SpecValidator.validate(spec);
        if (!problems.isEmpty()) {
            throw new LaunchException(problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
        }
        return spec;
    }

    private static Path bundleRootfs(Spec spec, Path bundleDirectory) {
        Path bundle = bundleDirectory == null ? Path.of(".") : bundleDirectory;
        Path root = bundle.resolve(HostPaths.of(spec.root().path(), "root.path"));
        try {
            Path real = root.toRealPath();
            if (!Files.isDirectory(real)) {
                throw new LaunchException("root.path: " + root + " is not a directory");
            }
            return real;
        } catch (IOException e) {
            throw new LaunchException("root.path: " + root + " does not exist");
        }
    }
}
