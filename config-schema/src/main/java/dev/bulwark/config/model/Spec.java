package dev.bulwark.config.model;

import java.util.List;
import java.util.Map;

/**
 * Root of an OCI runtime-spec {@code config.json}.
 *
 * @param ociVersion  spec version the document complies with (REQUIRED, SemVer)
 * @param process     the container process; REQUIRED for {@code start}
 * @param root        the container's root filesystem
 * @param mounts      additional mounts, in mount order (never null)
 * @param annotations arbitrary metadata (never null, document order)
 */
public record Spec(
        String ociVersion,
        Process process,
        Root root,
        String hostname,
        String domainname,
        List<Mount> mounts,
        Hooks hooks,
        Map<String, String> annotations,
        Linux linux) {

    public Spec {
        mounts = Copies.list(mounts);
        annotations = Copies.map(annotations);
    }

    public Spec withProcess(Process newProcess) {
        return new Spec(ociVersion, newProcess, root, hostname, domainname, mounts, hooks, annotations, linux);
    }

    public Spec withMounts(List<Mount> newMounts) {
        return new Spec(ociVersion, process, root, hostname, domainname, newMounts, hooks, annotations, linux);
    }

    public Spec withRoot(Root newRoot) {
        return new Spec(ociVersion, process, newRoot, hostname, domainname, mounts, hooks, annotations, linux);
    }

    public Spec withAnnotations(Map<String, String> newAnnotations) {
        return new Spec(ociVersion, process, root, hostname, domainname, mounts, hooks, newAnnotations, linux);
    }

    public Spec withLinux(Linux newLinux) {
        return new Spec(ociVersion, process, root, hostname, domainname, mounts, hooks, annotations, newLinux);
    }
}
