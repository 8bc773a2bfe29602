package dev.bulwark.launcher.setup;

import dev.bulwark.config.SpecParser;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.BuiltInDefault;
import dev.bulwark.launcher.plan.ContainerContext;
import dev.bulwark.launcher.plan.LsmHost;
import dev.bulwark.launcher.plan.Profile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The configs whose compiled setup the unit tests read, as a launch would compile them (without
 * running anything): runc's default config under the oci profile, as root and rootless, and the
 * built-in default (hardened, root assembled from the host's /usr), as root and rootless.
 */
final class PlanFixtures {
    /** The launcher's pipe fds (sync, failure; no progress pipe). */
    static final ChildProgram.Pipes PIPES = new ChildProgram.Pipes(3, 4, 5, 6, -1, -1);
    /** With --explain's progress pipe. */
    static final ChildProgram.Pipes PIPES_WITH_PROGRESS = new ChildProgram.Pipes(3, 4, 5, 6, 7, 8);
    private static final Path RUNC_CONFIGS = Path.of("../config-schema/src/test/resources/dev/bulwark/config/runc");
    /** No LSM: the plan must not depend on the machine's (the LSM steps have their own test). */
    private static final LsmHost NO_LSM = new LsmHost(false, false);
    private static final int ROOTLESS_UID = 1000;

    /** A config and the launch facts it is compiled with. */
    record Launch(String name, ContainerContext context, boolean setgroupsAllowed) {
        ChildSteps compile(ChildProgram.Pipes pipes, ChildProgram.Detached detached) {
            return ChildProgram.compile(context, pipes, setgroupsAllowed, detached);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private PlanFixtures() {
    }

    /** Every fixture, with a bundle (a rootfs directory) made under {@code scratch}. */
    static List<Launch> all(Path scratch) throws IOException {
        return List.of(runcDefault(scratch), runcRootless(scratch), runcHardenedWithoutNoNewPrivileges(scratch),
                builtInDefault(scratch, false), builtInDefault(scratch, true));
    }

    static Launch runcDefault(Path scratch) throws IOException {
        Path bundle = bundle(scratch, "runc");
        Spec spec = Profile.OCI.apply(parse("runc-spec.json"));
        return new Launch("runc spec (oci profile, root)", context(spec, bundle, bundle.resolve("rootfs").toRealPath(), false, false), true);
    }

    static Launch runcRootless(Path scratch) throws IOException {
        Path bundle = bundle(scratch, "runc-rootless");
        Spec spec = Profile.OCI.apply(parse("runc-spec-rootless.json"));
        return new Launch("runc spec --rootless (oci profile, rootless)", context(spec, bundle, bundle.resolve("rootfs").toRealPath(),
                false, true), false);
    }

    /** runc's config under the hardened profile with {@code noNewPrivileges: false}: a filter, and no no_new_privs. */
    static Launch runcHardenedWithoutNoNewPrivileges(Path scratch) throws IOException {
        Path bundle = bundle(scratch, "runc-privileged");
        Spec written = parse("runc-spec.json");
        Spec spec = Profile.HARDENED.apply(written.withProcess(written.process().withNoNewPrivileges(false)));
        return new Launch("runc spec, noNewPrivileges false (hardened profile, root)",
                context(spec, bundle, bundle.resolve("rootfs").toRealPath(), false, false), true);
    }

    /** What {@code bulwark run -- sh} compiles: no bundle; the root is a mount point in the state directory. */
    static Launch builtInDefault(Path scratch, boolean rootless) throws IOException {
        Path root = Files.createDirectories(scratch.resolve(rootless ? "state-rootless/rootfs" : "state/rootfs")).toRealPath();
        int uid = rootless ? ROOTLESS_UID : 0;
        Spec spec = Profile.HARDENED.apply(BuiltInDefault.spec(uid, uid, List.of("sh", "-c", "id")));
        return new Launch("built-in default (hardened, " + (rootless ? "rootless" : "root") + ")",
                context(spec, null, root, true, rootless), !rootless);
    }

    private static ContainerContext context(Spec spec, Path bundle, Path rootfs, boolean hostUsrRoot, boolean rootless) {
        int uid = rootless ? ROOTLESS_UID : 0;
        return new ContainerContext("plan-test", spec, bundle, rootfs, hostUsrRoot, rootless, uid, uid, List.of(), NO_LSM);
    }

    private static Path bundle(Path scratch, String name) throws IOException {
        Path bundle = scratch.resolve(name);
        Files.createDirectories(bundle.resolve("rootfs"));
        return bundle;
    }

    private static Spec parse(String file) throws IOException {
        try {
            return SpecParser.parse(RUNC_CONFIGS.resolve(file));
        } catch (dev.bulwark.config.SpecParseException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
