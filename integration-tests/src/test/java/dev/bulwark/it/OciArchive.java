package dev.bulwark.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An OCI image archive (image layout as a tar, what {@code podman save --format oci-archive} writes) of
 * a one-layer busybox-static rootfs, made offline: the layer is a tar of the rootfs, the config, manifest
 * and index are JSON blobs named by their sha256. The index names the image for containerd
 * ({@code io.containerd.image.name}), so {@code ctr image import} needs no --base-name.
 */
final class OciArchive {
    static final String IMAGE = "localhost/bulwark-busybox:latest";
    private static final List<String> APPLETS = List.of("sh", "echo", "cat", "sleep", "ls", "id", "true", "false",
            "ps", "kill", "hostname", "tty", "stty", "grep", "readlink", "tr");

    private OciArchive() {
    }

    /** Writes the archive to {@code archive}, working in {@code work} (left for the caller to delete). */
    static void write(Path archive, Path work) throws IOException {
        Path rootfs = work.resolve("rootfs");
        for (String dir : List.of("bin", "proc", "dev", "sys", "tmp", "etc", "root", "run")) {
            Files.createDirectories(rootfs.resolve(dir));
        }
        Files.copy(Bundles.BUSYBOX, rootfs.resolve("bin/busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Path layout = work.resolve("layout");
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Path layer = work.resolve("layer.tar");
        tar(rootfs, layer);
        String layerDigest = sha256(Files.readAllBytes(layer));
        Files.copy(layer, blobs.resolve(layerDigest));
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],"
                + "\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + layerDigest + "\"]}}";
        String configDigest = blob(blobs, config);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
                + configDigest + "\",\"size\":" + config.length() + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" + layerDigest + "\",\"size\":"
                + Files.size(layer) + "}]}";
        String manifestDigest = blob(blobs, manifest);
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + manifestDigest + "\",\"size\":"
                + manifest.length() + ",\"annotations\":{\"io.containerd.image.name\":\"" + IMAGE + "\","
                + "\"org.opencontainers.image.ref.name\":\"latest\"}}]}");
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        tar(layout, archive);
    }

    private static String blob(Path blobs, String json) throws IOException {
        String digest = sha256(json.getBytes(StandardCharsets.UTF_8));
        Files.writeString(blobs.resolve(digest), json);
        return digest;
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** GNU tar of a directory's contents, owned by 0:0 whoever runs it. */
    private static void tar(Path dir, Path output) throws IOException {
        Process tar = new ProcessBuilder("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", dir.toString(),
                "-cf", output.toString(), ".").redirectErrorStream(true).start();
        try {
            String out = new String(tar.getInputStream().readAllBytes());
            if (!tar.waitFor(60, TimeUnit.SECONDS) || tar.exitValue() != 0) {
                throw new IOException("tar of " + dir + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
